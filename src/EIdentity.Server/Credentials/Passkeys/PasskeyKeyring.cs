using System.Buffers.Text;
using EIdentity.Server.Audit;
using EIdentity.Server.Identities;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace EIdentity.Server.Credentials.Passkeys;

/// <summary>A citizen's key as the account page shows it.</summary>
internal sealed record PasskeyView(
    string CredentialId,
    string Name,
    string? Model,
    DateTimeOffset AddedAt,
    DateTimeOffset? LastUsedAt,
    string Level,
    PasskeyStatus Status,
    string? StatusReason);

internal enum KeyringChange
{
    Done,
    NotFound,
    InvalidName,

    /// <summary>Removing this key would leave no usable credential; ask the citizen to confirm first.</summary>
    LastUsableKey,
}

/// <summary>
/// The life of a person's passkeys after enrolment: list, rename, remove, suspend, revoke. Every
/// change that matters to security is audited; a withdrawn credential id stays on record so that it
/// can never be registered again.
/// </summary>
internal sealed partial class PasskeyKeyring(
    EIdentityDbContext db,
    UserManager<Person> users,
    AuditLog audit,
    SessionService sessions,
    TimeProvider time,
    ILogger<PasskeyKeyring> logger)
{
    public const int MaxNameLength = 60;

    public async Task<IReadOnlyList<PasskeyView>> ListAsync(Person person, CancellationToken cancellationToken = default)
    {
        var passkeys = await users.GetPasskeysAsync(person);
        var records = await db.PasskeyCredentials.AsNoTracking()
            .Where(c => c.PersonId == person.Id).ToDictionaryAsync(c => c.CredentialId, cancellationToken);
        return [.. passkeys.OrderBy(p => p.CreatedAt).Select(p =>
        {
            var id = Base64Url.EncodeToString(p.CredentialId);
            var record = records.GetValueOrDefault(id);
            return new PasskeyView(id, p.Name ?? "", record?.Model, p.CreatedAt, record?.LastUsedAt,
                record?.Level ?? AuthenticationMethods.LoaSubstantial, record?.Status ?? PasskeyStatus.Active, record?.StatusReason);
        })];
    }

    /// <summary>Whether the person holds an active key whose level satisfies one of the requested acr values.</summary>
    public async Task<bool> HasActiveKeyReachingAsync(Guid personId, IEnumerable<string> acrValues, CancellationToken cancellationToken = default)
    {
        var wanted = acrValues.ToList();
        var levels = wanted.Contains(AuthenticationMethods.LoaSubstantial)
            ? [AuthenticationMethods.LoaSubstantial, AuthenticationMethods.LoaHigh]
            : wanted.Contains(AuthenticationMethods.LoaHigh) ? new[] { AuthenticationMethods.LoaHigh } : [];
        return levels.Length > 0 && await db.PasskeyCredentials.AnyAsync(
            c => c.PersonId == personId && c.Status == PasskeyStatus.Active && levels.Contains(c.Level), cancellationToken);
    }

    public async Task<KeyringChange> RenameAsync(Person person, string credentialId, string? name)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            return KeyringChange.InvalidName;
        }

        if (await FindPasskeyAsync(person, credentialId) is not { } passkey)
        {
            return KeyringChange.NotFound;
        }

        passkey.Name = name;
        var updated = await users.AddOrUpdatePasskeyAsync(person, passkey);
        return updated.Succeeded ? KeyringChange.Done : throw new InvalidOperationException("Renaming the passkey failed.");
    }

    /// <summary>
    /// Removes one of the citizen's own keys. The last usable key goes only with
    /// <paramref name="confirmedLastKey"/>: without a key the citizen needs a new activation letter.
    /// A suspended key leaves a revoked record behind, so a cloned key cannot come back.
    /// </summary>
    public async Task<KeyringChange> RemoveAsync(Person person, string credentialId, bool confirmedLastKey, CancellationToken cancellationToken = default)
    {
        if (await FindPasskeyAsync(person, credentialId) is not { } passkey)
        {
            return KeyringChange.NotFound;
        }

        var keys = await ListAsync(person, cancellationToken);
        var usable = keys.Count(k => k.Status == PasskeyStatus.Active);
        var removingUsable = keys.Any(k => k.CredentialId == credentialId && k.Status == PasskeyStatus.Active);
        if (removingUsable && usable == 1 && !confirmedLastKey)
        {
            return KeyringChange.LastUsableKey;
        }

        var record = await db.PasskeyCredentials.SingleOrDefaultAsync(c => c.CredentialId == credentialId, cancellationToken);
        if (record is { Status: PasskeyStatus.Suspended })
        {
            record.Status = PasskeyStatus.Revoked;
            record.StatusReason = PasskeyStatusReasons.RemovedByCitizen;
            record.StatusChangedAt = time.GetUtcNow();
        }
        else if (record is not null)
        {
            db.PasskeyCredentials.Remove(record);
        }

        await db.SaveChangesAsync(CancellationToken.None);
        await users.RemovePasskeyAsync(person, passkey.CredentialId);
        await EndSessionsEstablishedWithAsync(credentialId, "credential_removed", CancellationToken.None);
        await audit.RecordAsync(new AuditEntry("passkey.removed", "citizen", person.Id, credentialId), CancellationToken.None);
        LogRemoved(logger, person.Id, credentialId);
        return KeyringChange.Done;
    }

    /// <summary>
    /// A security officer withdraws a credential for good: it stops working at once, sessions it
    /// established end, and its id is refused at any later registration.
    /// </summary>
    public async Task<(KeyringChange Change, Guid? PersonId)> RevokeAsync(string credentialId, string actor, string? note, CancellationToken cancellationToken = default)
    {
        if (!CredentialIds.TryCanonical(credentialId, out _, out var rawId))
        {
            return (KeyringChange.NotFound, null);
        }

        var owner = await users.FindByPasskeyIdAsync(rawId);
        var record = await db.PasskeyCredentials.SingleOrDefaultAsync(c => c.CredentialId == credentialId, cancellationToken);
        if (owner is null && record is null)
        {
            return (KeyringChange.NotFound, null);
        }

        var personId = owner?.Id ?? record!.PersonId;
        if (record is null)
        {
            record = PasskeyCredential.Unattested(credentialId, personId, time.GetUtcNow());
            db.PasskeyCredentials.Add(record);
        }

        record.Status = PasskeyStatus.Revoked;
        record.StatusReason = PasskeyStatusReasons.RevokedByOfficer;
        record.StatusChangedAt = time.GetUtcNow();
        await db.SaveChangesAsync(CancellationToken.None);
        if (owner is not null)
        {
            await users.RemovePasskeyAsync(owner, rawId);
        }

        await EndSessionsEstablishedWithAsync(credentialId, "credential_revoked", CancellationToken.None);
        await audit.RecordAsync(new AuditEntry("passkey.revoked", actor, personId, credentialId, note), CancellationToken.None);
        LogRevoked(logger, personId, credentialId);
        return (KeyringChange.Done, personId);
    }

    // Once a change is decided it is carried out whole: a client that hangs up must not leave a
    // key half-withdrawn or its audit row unwritten, so writes here ignore request cancellation.

    /// <summary>Suspends a credential (it stays listed, refused at sign-in) and ends the sessions it established.</summary>
    public async Task SuspendAsync(PasskeyCredential record, string reason, string actor, CancellationToken cancellationToken = default)
    {
        record.Status = PasskeyStatus.Suspended;
        record.StatusReason = reason;
        record.StatusChangedAt = time.GetUtcNow();
        await db.SaveChangesAsync(CancellationToken.None);
        await EndSessionsEstablishedWithAsync(record.CredentialId, "credential_suspended", CancellationToken.None);
        await audit.RecordAsync(new AuditEntry("passkey.suspended", actor, record.PersonId, record.CredentialId, reason), CancellationToken.None);
        LogSuspended(logger, record.PersonId, record.CredentialId, reason);
    }

    /// <summary>
    /// Ends every live SSO session that this credential established, revokes what those sessions
    /// granted and notifies their portals; grants of its earlier sessions that outlived them
    /// (offline access after a logout) are revoked too.
    /// </summary>
    public async Task<int> EndSessionsEstablishedWithAsync(string credentialId, string reason, CancellationToken cancellationToken = default)
    {
        var ended = await sessions.EndWhereAsync(s => s.CredentialId == credentialId, reason, SessionEndScope.SessionAndGrants, cancellationToken: cancellationToken);
        await sessions.RevokeGrantsWhereAsync(s => s.CredentialId == credentialId);
        return ended;
    }

    private async Task<UserPasskeyInfo?> FindPasskeyAsync(Person person, string credentialId)
        => CredentialIds.TryCanonical(credentialId, out _, out var raw)
            ? await users.GetPasskeyAsync(person, raw)
            : null;

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "Passkey {CredentialId} of identity {PersonId} suspended: {Reason}.")]
    private static partial void LogSuspended(ILogger logger, Guid personId, string credentialId, string reason);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Passkey {CredentialId} removed by identity {PersonId}.")]
    private static partial void LogRemoved(ILogger logger, Guid personId, string credentialId);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Passkey {CredentialId} of identity {PersonId} revoked.")]
    private static partial void LogRevoked(ILogger logger, Guid personId, string credentialId);
}
