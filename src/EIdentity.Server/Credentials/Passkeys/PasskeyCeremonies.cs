using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using EIdentity.Server.Audit;
using EIdentity.Server.Identities;
using EIdentity.Server.Persistence;
using EIdentity.Server.Credentials.Passkeys.Attestation;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Credentials.Passkeys;

internal sealed record CeremonyStarted(string CeremonyId, string OptionsJson);

internal enum PasskeyFailure
{
    None,
    CeremonyUnknownOrUsed,
    CeremonyExpired,
    VerificationFailed,
    CredentialAlreadyRegistered,
    IdentitySuspended,
    WrongIdentity,
    AttestationRefused,
    UnsupportedAlgorithm,
    CredentialRevoked,
    CredentialSuspended,
    CounterRegression,
}

internal sealed record RegistrationOutcome(PasskeyFailure Failure, Person? Person, UserPasskeyInfo? Passkey, Guid? ActivationCodeId, string? Detail = null, AttestationVerdict? Verdict = null)
{
    public bool Succeeded => Failure == PasskeyFailure.None;
}

internal sealed record AssertionOutcome(PasskeyFailure Failure, Person? Person, UserPasskeyInfo? Passkey, string? Detail = null, PasskeyCredential? Credential = null)
{
    public bool Succeeded => Failure == PasskeyFailure.None;
}

/// <summary>
/// Runs WebAuthn ceremonies with ASP.NET Core Identity's passkey handler, keeping each
/// ceremony's state in the database (single use, short-lived) instead of a cookie, so that
/// browsers, kiosks and native apps drive the same JSON endpoints.
/// </summary>
internal sealed partial class PasskeyCeremonies(
    IPasskeyHandler<Person> handler,
    UserManager<Person> users,
    PersonStore store,
    EIdentityDbContext db,
    TimeProvider time,
    IOptions<PasskeyOptions> options,
    AuditLog audit,
    PasskeyKeyring keyring,
    ILogger<PasskeyCeremonies> logger)
{
    /// <summary>Where the attestation hook leaves its verdict for the ceremony that called the handler.</summary>
    public static readonly object VerdictKey = new();

    // PasskeyException.UnsupportedCredentialPublicKeyAlgorithm() in ASP.NET Core Identity 10 (WebAuthn L3 7.1 step 20).
    private const string UnsupportedAlgorithmMessage = "The credential public key algorithm does not match any of the supported algorithms.";

    private const string UnknownCredential = "unknown_credential";

    // WebAuthn credential ids are at most 1023 bytes (L3 5.1.3); anything longer is not worth keeping.
    private const int MaxAuditedCredentialIdLength = 1364;

    // Tracked: a sign-in writes its last use back.
    private static readonly ModelCompiledQuery<Func<EIdentityDbContext, string, CancellationToken, Task<PasskeyCredential?>>> CredentialById = new(() =>
        EF.CompileAsyncQuery((EIdentityDbContext db, string credentialId, CancellationToken _) =>
            db.PasskeyCredentials.SingleOrDefault(c => c.CredentialId == credentialId)));

    public async Task<CeremonyStarted> BeginRegistrationAsync(HttpContext http, Person person, Guid? activationCodeId)
    {
        var created = await handler.MakeCreationOptionsAsync(new PasskeyUserEntity
        {
            Id = person.Id.ToString(),
            // Shown by the authenticator's account picker: never the full national ID number.
            Name = person.NationalId.Masked,
            DisplayName = person.FullName,
        }, http);
        var id = await SaveAsync(PasskeyCeremonyKind.Registration, created.AttestationState ?? "", person.Id, activationCodeId, http.RequestAborted);
        return new(id, created.CreationOptionsJson);
    }

    public async Task<RegistrationOutcome> FinishRegistrationAsync(HttpContext http, string ceremonyId, string credentialJson)
    {
        var (ceremony, failure) = await TakeAsync(ceremonyId, PasskeyCeremonyKind.Registration, http.RequestAborted);
        if (ceremony is null)
        {
            return new(failure, null, null, null);
        }

        // WebAuthn L3 7.1 step 26: a credential id registered anywhere before is refused. Checked
        // first so the citizen learns the key is already enrolled, not that it "failed". A revoked
        // or suspended id stays refused for good (its row outlives the Identity record).
        if (CredentialIdOf(credentialJson) is { } claimedId)
        {
            var encodedId = Base64Url.EncodeToString(claimedId);
            if (await db.PasskeyCredentials.AsNoTracking().AnyAsync(c => c.CredentialId == encodedId && c.Status != PasskeyStatus.Active, http.RequestAborted))
            {
                LogRegistrationRefused(logger, ceremony.PersonId, "the credential id was revoked or suspended");
                return new(PasskeyFailure.CredentialRevoked, null, null, null);
            }

            if (await users.FindByPasskeyIdAsync(claimedId) is not null)
            {
                return new(PasskeyFailure.CredentialAlreadyRegistered, null, null, null);
            }
        }

        http.Items.Remove(VerdictKey);
        var result = await handler.PerformAttestationAsync(new PasskeyAttestationContext
        {
            HttpContext = http,
            CredentialJson = credentialJson,
            AttestationState = ceremony.State,
        });
        var verdict = http.Items[VerdictKey] as AttestationVerdict;
        if (!result.Succeeded)
        {
            if (verdict is { Accepted: false })
            {
                LogRegistrationRefused(logger, ceremony.PersonId, verdict.Reason!);
                return new(PasskeyFailure.AttestationRefused, null, null, null, verdict.Reason, verdict);
            }

            var reason = result.Failure.Message;
            LogRegistrationRefused(logger, ceremony.PersonId, reason);
            var refusal = verdict is null && reason == UnsupportedAlgorithmMessage
                ? PasskeyFailure.UnsupportedAlgorithm
                : PasskeyFailure.VerificationFailed;
            return new(refusal, null, null, null, reason);
        }

        if (verdict is null)
        {
            throw new InvalidOperationException("The passkey handler accepted an attestation without running the authenticator policy.");
        }

        var person = await users.FindByIdAsync(result.UserEntity.Id);
        if (person is null || person.Id != ceremony.PersonId)
        {
            return new(PasskeyFailure.WrongIdentity, null, null, null);
        }

        if (!person.IsActive)
        {
            return new(PasskeyFailure.IdentitySuspended, person, null, null);
        }

        // The attested id (what the handler verified) must be new too, and never withdrawn.
        if (await users.FindByPasskeyIdAsync(result.Passkey.CredentialId) is not null)
        {
            return new(PasskeyFailure.CredentialAlreadyRegistered, person, null, null);
        }

        var attestedId = Base64Url.EncodeToString(result.Passkey.CredentialId);
        if (await db.PasskeyCredentials.AsNoTracking().AnyAsync(c => c.CredentialId == attestedId, http.RequestAborted))
        {
            return new(PasskeyFailure.CredentialRevoked, person, null, null);
        }

        return new(PasskeyFailure.None, person, result.Passkey, ceremony.ActivationCodeId, null, verdict);
    }

    /// <param name="levelCap">When set, the key is bound at no higher level than this (the acr of the session adding it).</param>
    public async Task<PasskeyCredential> StorePasskeyAsync(Person person, UserPasskeyInfo passkey, string name, AttestationVerdict verdict, string? levelCap = null)
    {
        var level = levelCap == AuthenticationMethods.LoaSubstantial ? AuthenticationMethods.LoaSubstantial : verdict.Level;
        passkey.Name = name;
        // Identity's record and ours are written together or not at all.
        await using var transaction = await db.Database.BeginTransactionAsync();
        var stored = await users.AddOrUpdatePasskeyAsync(person, passkey);
        if (!stored.Succeeded)
        {
            throw new InvalidOperationException("Storing the passkey failed: " + string.Join("; ", stored.Errors.Select(e => e.Code)));
        }

        var credentialId = Base64Url.EncodeToString(passkey.CredentialId);
        var credential = new PasskeyCredential
        {
            CredentialId = credentialId,
            PersonId = person.Id,
            Format = verdict.Format,
            Aaguid = verdict.Aaguid,
            AttestationType = verdict.Type,
            AttestationTrusted = verdict.ChainTrusted,
            Model = verdict.Model is { Length: > 200 } model ? model[..200] : verdict.Model,
            ModelStatus = verdict.ModelStatus,
            Level = level,
            AttestedLevel = level,
            Status = PasskeyStatus.Active,
            RegisteredAt = time.GetUtcNow(),
        };
        db.PasskeyCredentials.Add(credential);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
        LogPasskeyEnrolled(logger, person.Id, credentialId, verdict.Format, level);
        await audit.RecordAsync(new AuditEntry("passkey.enrolled", "citizen", person.Id, credentialId,
            $"format={verdict.Format} type={verdict.Type} trusted={verdict.ChainTrusted} level={level}{(level != verdict.Level ? " (capped by session)" : "")}"), CancellationToken.None);
        return credential;
    }

    public async Task<int> CountPasskeysAsync(Person person) => (await users.GetPasskeysAsync(person)).Count;

    public async Task<CeremonyStarted> BeginAssertionAsync(HttpContext http, Person? person)
    {
        var request = await handler.MakeRequestOptionsAsync(person, http);
        var id = await SaveAsync(PasskeyCeremonyKind.Assertion, request.AssertionState ?? "", person?.Id, null, http.RequestAborted);
        return new(id, request.RequestOptionsJson);
    }

    public async Task<AssertionOutcome> FinishAssertionAsync(HttpContext http, string ceremonyId, string credentialJson)
    {
        // One connection for the ceremony's reads and its write: EF Core would otherwise open and
        // close it around each statement (on SQLite every open also runs the synchronous pragma).
        await db.Database.OpenConnectionAsync(http.RequestAborted);
        try
        {
            return await FinishAssertionCoreAsync(http, ceremonyId, credentialJson);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task<AssertionOutcome> FinishAssertionCoreAsync(HttpContext http, string ceremonyId, string credentialJson)
    {
        var (ceremony, failure) = await TakeAsync(ceremonyId, PasskeyCeremonyKind.Assertion, http.RequestAborted);
        if (ceremony is null)
        {
            return new(failure, null, null);
        }

        var claimedId = CredentialIdOf(credentialJson) is { } raw ? Base64Url.EncodeToString(raw) : null;
        var credential = claimedId is null ? null : await CredentialById.For(db)(db, claimedId, http.RequestAborted);
        if (credential is { Status: not PasskeyStatus.Active })
        {
            LogAssertionRefused(logger, credential.PersonId, "the credential is " + credential.Status);
            var withdrawn = credential.Status == PasskeyStatus.Revoked ? PasskeyFailure.CredentialRevoked : PasskeyFailure.CredentialSuspended;
            await RecordSignInFailureAsync(credential.PersonId, claimedId, withdrawn);
            return new(withdrawn, null, null, credential.StatusReason, credential);
        }

        var result = await handler.PerformAssertionAsync(new PasskeyAssertionContext
        {
            HttpContext = http,
            CredentialJson = credentialJson,
            AssertionState = ceremony.State,
        });
        if (!result.Succeeded)
        {
            var reason = result.Failure.Message;
            LogAssertionRefused(logger, ceremony.PersonId, reason);
            var owner = claimedId is null ? null : await users.FindByPasskeyIdAsync(Base64Url.DecodeFromChars(claimedId));
            // WebAuthn L3 7.2 step 22: a counter that did not move forward, on a response the
            // credential key really signed, is the real key or a copy of it speaking.
            if (claimedId is not null && owner is not null
                && await users.GetPasskeyAsync(owner, Base64Url.DecodeFromChars(claimedId)) is { } stored
                && CounterRegression.IsProvenBy(reason, credentialJson, stored))
            {
                credential ??= AddUnattestedRecord(claimedId, owner.Id);
                LogCounterRegression(logger, owner.Id, claimedId);
                await keyring.SuspendAsync(credential, PasskeyStatusReasons.CounterRegression, "system", CancellationToken.None);
                await RecordSignInFailureAsync(owner.Id, claimedId, PasskeyFailure.CounterRegression);
                return new(PasskeyFailure.CounterRegression, owner, null, reason, credential);
            }

            // A key nobody registered, or another identity's key, is an attempt on the identity the
            // ceremony was begun for (when the citizen named one).
            if (owner is not null && ceremony.PersonId is { } named && named != owner.Id)
            {
                await RecordSignInFailureAsync(named, claimedId, PasskeyFailure.WrongIdentity, message: reason);
            }
            else
            {
                await RecordSignInFailureAsync(owner?.Id ?? ceremony.PersonId, claimedId, PasskeyFailure.VerificationFailed,
                    owner is null && credential is null ? UnknownCredential : null, reason);
            }

            return new(PasskeyFailure.VerificationFailed, null, null, reason);
        }

        var person = result.User;
        if (ceremony.PersonId is { } expected && expected != person.Id)
        {
            await RecordSignInFailureAsync(expected, claimedId, PasskeyFailure.WrongIdentity);
            return new(PasskeyFailure.WrongIdentity, null, null);
        }

        if (!person.IsActive)
        {
            await RecordSignInFailureAsync(person.Id, claimedId, PasskeyFailure.IdentitySuspended);
            return new(PasskeyFailure.IdentitySuspended, person, null);
        }

        // Keep the new signature counter and backup state (WebAuthn L3 7.2 step 24) and the last use,
        // in one write.
        try
        {
            await store.StageAssertionAsync(person, result.Passkey, http.RequestAborted);
            credential ??= AddUnattestedRecord(Base64Url.EncodeToString(result.Passkey.CredentialId), person.Id);
            credential.LastUsedAt = time.GetUtcNow();
            await db.SaveChangesAsync(http.RequestAborted);
        }
        catch (DbUpdateConcurrencyException)
        {
            // The key was removed or revoked while this assertion was being verified.
            db.ChangeTracker.Clear();
            LogAssertionRefused(logger, person.Id, "the credential was withdrawn during the sign-in");
            await RecordSignInFailureAsync(person.Id, claimedId, PasskeyFailure.CredentialRevoked);
            return new(PasskeyFailure.CredentialRevoked, null, null);
        }

        // The sign-in itself is audited once, as session.started, when the session begins.
        return new(PasskeyFailure.None, person, result.Passkey, null, credential);
    }

    /// <summary>
    /// Audits a refused sign-in (<c>passkey.signin_failed</c>): the identity concerned when known, the
    /// credential presented, and a reason code ("unknown_credential", "verification_failed",
    /// "credential_suspended"...) followed by the handler's English message, if any, for support staff.
    /// Refusals before a ceremony was taken (unknown, used or expired challenge) are not sign-in attempts.
    /// </summary>
    private Task RecordSignInFailureAsync(Guid? personId, string? credentialId, PasskeyFailure failure, string? code = null, string? message = null)
    {
        code ??= failure switch
        {
            PasskeyFailure.CredentialRevoked => "credential_revoked",
            PasskeyFailure.CredentialSuspended => "credential_suspended",
            PasskeyFailure.CounterRegression => "counter_regression",
            PasskeyFailure.WrongIdentity => "wrong_identity",
            PasskeyFailure.IdentitySuspended => "identity_suspended",
            _ => "verification_failed",
        };
        var detail = message is null ? code : $"{code}: {message}";
        return audit.RecordAsync(new AuditEntry("passkey.signin_failed", "citizen", personId,
            credentialId is { Length: <= MaxAuditedCredentialIdLength } ? credentialId : null,
            detail.Length > 500 ? detail[..500] : detail), CancellationToken.None);
    }

    private PasskeyCredential AddUnattestedRecord(string credentialId, Guid personId)
    {
        var credential = PasskeyCredential.Unattested(credentialId, personId, time.GetUtcNow());
        db.PasskeyCredentials.Add(credential);
        return credential;
    }

    private static byte[]? CredentialIdOf(string credentialJson)
    {
        try
        {
            using var document = JsonDocument.Parse(credentialJson);
            return document.RootElement.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
                && Base64Url.IsValid(id.GetString()) ? Base64Url.DecodeFromChars(id.GetString()) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<string> SaveAsync(PasskeyCeremonyKind kind, string state, Guid? personId, Guid? activationCodeId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ceremony = new PasskeyCeremony
        {
            Id = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24)),
            Kind = kind,
            State = state,
            PersonId = personId,
            ActivationCodeId = activationCodeId,
            ExpiresAt = now + options.Value.CeremonyLifetime,
        };
        db.PasskeyCeremonies.Add(ceremony);
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            // Housekeeping: ceremonies nobody finished.
            await db.PasskeyCeremonies.Where(c => c.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        return ceremony.Id;
    }

    // The ceremony row is deleted by the first attempt to finish it: a replayed response
    // (or a second try with the same challenge) finds nothing.
    private async Task<(PasskeyCeremony? Ceremony, PasskeyFailure Failure)> TakeAsync(string ceremonyId, PasskeyCeremonyKind kind, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(ceremonyId) || ceremonyId.Length > 64)
        {
            return (null, PasskeyFailure.CeremonyUnknownOrUsed);
        }

        // Read and delete in one statement (SQLite 3.35+ and PostgreSQL both have RETURNING): of two
        // concurrent attempts only one gets the row.
        var kindName = kind.ToString();
        var taken = await db.PasskeyCeremonies
            .FromSql($"""DELETE FROM "PasskeyCeremonies" WHERE "Id" = {ceremonyId} AND "Kind" = {kindName} RETURNING *""")
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        if (taken is not [var ceremony])
        {
            return (null, PasskeyFailure.CeremonyUnknownOrUsed);
        }

        return ceremony.ExpiresAt <= time.GetUtcNow()
            ? (null, PasskeyFailure.CeremonyExpired)
            : (ceremony, PasskeyFailure.None);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Passkey {CredentialId} enrolled for identity {PersonId} ({Format} attestation, level {Level}).")]
    private static partial void LogPasskeyEnrolled(ILogger logger, Guid personId, string credentialId, string format, string level);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Passkey {CredentialId} of identity {PersonId} presented a signature counter that went backwards; the credential is suspended.")]
    private static partial void LogCounterRegression(ILogger logger, Guid personId, string credentialId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Passkey registration refused for identity {PersonId}: {Reason}")]
    private static partial void LogRegistrationRefused(ILogger logger, Guid? personId, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Passkey assertion refused (expected identity {PersonId}): {Reason}")]
    private static partial void LogAssertionRefused(ILogger logger, Guid? personId, string reason);
}
