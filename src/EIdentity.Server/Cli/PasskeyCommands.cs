using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EIdentity.Server.Audit;
using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Credentials.Passkeys.Metadata;
using EIdentity.Server.Identities;
using EIdentity.Server.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Cli;

/// <summary>Verbs for support staff and security officers: passkeys, authenticator metadata, the audit log.</summary>
internal static class PasskeyCommands
{
    public static async Task<int> ListAsync(IServiceProvider services, CommandArguments args)
    {
        if (!NationalIdNumber.TryParse(args.Required("national-id"), out var nationalId))
        {
            throw new CommandException("--national-id must be a national ID number (CCCD) of exactly 12 digits");
        }

        var person = await services.GetRequiredService<IdentityRegistry>().FindByNationalIdAsync(nationalId);
        if (person is null)
        {
            await Console.Error.WriteLineAsync("error: no identity has this national ID number.");
            return 1;
        }

        var keys = await services.GetRequiredService<PasskeyKeyring>().ListAsync(person);
        Console.WriteLine($"Identity {person.Id}: {keys.Count} key(s)");
        foreach (var key in keys)
        {
            Console.WriteLine($"  {key.CredentialId}");
            Console.WriteLine($"    name: {key.Name}; model: {key.Model ?? "unknown"}; level: {key.Level}; status: {key.Status}{(key.StatusReason is null ? "" : $" ({key.StatusReason})")}");
            Console.WriteLine($"    added {key.AddedAt:yyyy-MM-dd HH:mm} UTC; last used {(key.LastUsedAt is { } used ? used.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC" : "never")}");
        }

        // Withdrawn keys are gone from the person's keyring; their tombstones say what happened.
        var withdrawn = await services.GetRequiredService<EIdentityDbContext>().PasskeyCredentials.AsNoTracking()
            .Where(c => c.PersonId == person.Id && c.Status == PasskeyStatus.Revoked).ToListAsync();
        foreach (var key in withdrawn.OrderBy(k => k.StatusChangedAt))
        {
            Console.WriteLine($"  {key.CredentialId}");
            Console.WriteLine($"    status: Revoked ({key.StatusReason}) on {key.StatusChangedAt:yyyy-MM-dd HH:mm} UTC; model: {key.Model ?? "unknown"}; can never be registered again");
        }

        return 0;
    }

    public static async Task<int> RevokeAsync(IServiceProvider services, CommandArguments args)
    {
        var credentialId = args.Required("credential-id");
        var officer = args.Optional("officer") ?? Environment.UserName;
        var (change, personId) = await services.GetRequiredService<PasskeyKeyring>()
            .RevokeAsync(credentialId, "cli:" + officer, args.Optional("reason"));
        if (change == KeyringChange.NotFound)
        {
            await Console.Error.WriteLineAsync("error: no credential has this id (base64url, as `passkey list` prints it).");
            return 1;
        }

        Console.WriteLine($"Credential revoked (identity {personId}). It no longer signs in, the sessions it started have ended, and it can never be registered again.");
        return 0;
    }

    public static async Task<int> VerifyRegistrationAsync(IServiceProvider services, CommandArguments args)
    {
        var rpId = args.Required("rp-id");
        var origin = args.Required("origin").TrimEnd('/');
        var challenge = args.Required("challenge");
        var path = args.Required("response");
        var anyAuthenticator = args.Flag("any-authenticator");
        if (!Base64Url.IsValid(challenge))
        {
            throw new CommandException("--challenge must be the base64url challenge from the creation options");
        }

        string credentialJson;
        try
        {
            credentialJson = await File.ReadAllTextAsync(path);
            using var _ = JsonDocument.Parse(credentialJson);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new CommandException($"--response: cannot read a JSON document from '{path}': {ex.Message}");
        }

        // The same handler and policy as the server, with this ceremony's RP ID, origin and challenge.
        var identityOptions = services.GetRequiredService<IOptions<IdentityPasskeyOptions>>().Value;
        var options = new IdentityPasskeyOptions
        {
            ServerDomain = rpId,
            UserVerificationRequirement = identityOptions.UserVerificationRequirement,
            ResidentKeyRequirement = identityOptions.ResidentKeyRequirement,
            AttestationConveyancePreference = identityOptions.AttestationConveyancePreference,
            ValidateOrigin = context => ValueTask.FromResult(!context.CrossOrigin && string.Equals(context.Origin, origin, StringComparison.Ordinal)),
            VerifyAttestationStatement = context => ValueTask.FromResult(PasskeysExtensions.VerifyAttestation(context, anyAuthenticator)),
        };
        var users = services.GetRequiredService<UserManager<Person>>();
        var handler = new PasskeyHandler<Person>(users, Options.Create(options));
        var http = new DefaultHttpContext { RequestServices = services };
        var template = await handler.MakeCreationOptionsAsync(new PasskeyUserEntity { Id = Guid.Empty.ToString(), Name = "support", DisplayName = "support" }, http);
        var state = WithChallenge(template, challenge);

        Console.WriteLine($"Registration response: {Path.GetFileName(path)}");
        Console.WriteLine($"Relying party: {rpId}, origin {origin}{(anyAuthenticator ? " (any authenticator: allow-list, metadata and trust chain not consulted)" : "")}");
        if (PasskeyIdOf(credentialJson) is { } claimedId
            && await services.GetRequiredService<EIdentityDbContext>().PasskeyCredentials.AsNoTracking()
                .AnyAsync(c => c.CredentialId == claimedId && c.Status != PasskeyStatus.Active))
        {
            return Verdict(false, "The credential id was revoked or suspended and can never be registered again.", null);
        }

        var result = await handler.PerformAttestationAsync(new PasskeyAttestationContext
        {
            HttpContext = http,
            CredentialJson = credentialJson,
            AttestationState = state,
        });
        var verdict = http.Items[PasskeyCeremonies.VerdictKey] as AttestationVerdict;
        if (verdict is not null)
        {
            Console.WriteLine($"Format: {verdict.Format}");
            Console.WriteLine($"AAGUID: {verdict.Aaguid}");
            Console.WriteLine($"Attestation type: {(verdict.Accepted || verdict.Model is not null ? verdict.Type.ToString() : "not established (the statement was refused)")}");
            Console.WriteLine($"Model: {verdict.Model ?? "unknown"}{(verdict.ModelStatus is null ? "" : $" (status {verdict.ModelStatus})")}");
            Console.WriteLine($"Trust: {(verdict.ChainTrusted ? "the attestation chains to a trusted root of this model" : "not established")}");
            if (verdict.Accepted)
            {
                Console.WriteLine($"Level: {verdict.Level}");
            }

            foreach (var note in verdict.Notes)
            {
                Console.WriteLine($"Note: {note}");
            }
        }

        return result.Succeeded
            ? Verdict(true, null, verdict)
            : Verdict(false, verdict is { Accepted: false } ? verdict.Reason : result.Failure.Message, verdict);

        static int Verdict(bool accepted, string? reason, AttestationVerdict? verdict)
        {
            Console.WriteLine(accepted ? "Verdict: ACCEPTED" : "Verdict: REFUSED");
            if (reason is not null)
            {
                Console.WriteLine($"Reason: {reason}");
            }

            return accepted ? 0 : 1;
        }
    }

    public static async Task<int> MetadataAsync(IServiceProvider services, CommandArguments args)
    {
        var catalog = services.GetRequiredService<IAuthenticatorCatalog>();
        var snapshot = args.Flag("reload") ? catalog.Reload() : catalog.Current;
        Console.WriteLine($"Authenticator metadata version {snapshot.Version}: {snapshot.Models.Count} model(s)");
        foreach (var model in snapshot.Models.OrderBy(m => m.Description, StringComparer.Ordinal))
        {
            var id = model.Aaguid?.ToString() ?? string.Join(",", model.AttestationCertificateKeyIdentifiers);
            Console.WriteLine($"  {id}  {model.Description}  [{model.Source}{(model.IsHardware ? ", hardware" : "")}{(model.Status is null ? "" : ", " + model.Status)}]");
        }

        foreach (var problem in snapshot.Problems)
        {
            Console.WriteLine($"Problem: {problem}");
        }

        var review = await services.GetRequiredService<PasskeyModelReview>().ReviewAsync();
        Console.WriteLine($"Registered keys reviewed: {review.Suspended} suspended, {review.Downgraded} downgraded, {review.Restored} restored.");
        return snapshot.Problems.Count == 0 ? 0 : 1;
    }

    public static async Task<int> VerifyAuditAsync(IServiceProvider services)
    {
        var result = await AuditLog.VerifyAsync(services.GetRequiredService<EIdentityDbContext>());
        if (result.IsIntact)
        {
            Console.WriteLine($"Audit log intact: {result.RowsChecked} row(s) chained correctly.");
            return 0;
        }

        Console.WriteLine($"Audit log BROKEN at row {result.FirstBrokenSequence}: {result.Problem}");
        Console.WriteLine($"{result.RowsChecked} row(s) before it are intact.");
        return 1;
    }

    // The handler keeps the challenge in its own state document; reuse its shape, change the challenge.
    private static string WithChallenge(PasskeyCreationOptionsResult template, string challenge)
    {
        var state = JsonNode.Parse(template.AttestationState!)!.AsObject();
        var original = JsonNode.Parse(template.CreationOptionsJson)!["challenge"]!.GetValue<string>();
        var property = state.First(p => string.Equals(p.Key, "challenge", StringComparison.OrdinalIgnoreCase)).Key;
        var stored = state[property]!.GetValue<string>();
        state[property] = stored == original ? challenge : Convert.ToBase64String(Base64Url.DecodeFromChars(challenge));
        return state.ToJsonString();
    }

    private static string? PasskeyIdOf(string credentialJson)
    {
        using var document = JsonDocument.Parse(credentialJson);
        return document.RootElement.ValueKind == JsonValueKind.Object
            && document.RootElement.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
            && Base64Url.IsValid(id.GetString()) ? Base64Url.EncodeToString(Base64Url.DecodeFromChars(id.GetString())) : null;
    }
}
