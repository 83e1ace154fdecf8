using EIdentity.Server.Audit;
using EIdentity.Server.Credentials.Passkeys.Metadata;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Credentials.Passkeys;

/// <summary>What one review of registered keys against the metadata changed.</summary>
internal sealed record ModelReviewResult(int Suspended, int Downgraded, int Restored);

/// <summary>
/// Re-judges registered keys when an authenticator model's status changes after they were
/// enrolled (a new MDS3 BLOB, an edited allow-list): compromised models suspend or downgrade their
/// keys, per <see cref="PasskeyPolicyOptions"/>, and every change is audited. Idempotent: several
/// nodes reviewing the same metadata change each key once.
/// </summary>
internal sealed partial class PasskeyModelReview(
    EIdentityDbContext db,
    IAuthenticatorCatalog catalog,
    PasskeyKeyring keyring,
    AuditLog audit,
    IOptionsMonitor<PasskeyPolicyOptions> options,
    ILogger<PasskeyModelReview> logger)
{
    public async Task<ModelReviewResult> ReviewAsync(CancellationToken cancellationToken = default)
    {
        var policy = options.CurrentValue;
        var snapshot = catalog.Current;
        int suspended = 0, downgraded = 0, restored = 0;

        // Keys are matched to models by AAGUID; U2F keys (all-zero AAGUID) are judged at registration only.
        var aaguids = await db.PasskeyCredentials.Where(c => c.Status == PasskeyStatus.Active && c.Aaguid != Guid.Empty)
            .Select(c => c.Aaguid).Distinct().ToListAsync(cancellationToken);
        foreach (var aaguid in aaguids)
        {
            var model = snapshot.Find(aaguid, null);
            var status = model?.Status;
            var refused = status is not null && policy.EffectiveRefusedStatuses.Contains(status, StringComparer.Ordinal);
            var suspends = refused && policy.EffectiveSuspendingStatuses.Contains(status!, StringComparer.Ordinal);
            // High stays only while the model is still known, in hardware, from an accepted source and not compromised.
            var highStillEarned = model is not null && !refused && model.IsHardware && policy.EffectiveHighLevelSources.Contains(model.Source)
                && (model.Source != AuthenticatorSource.MetadataService || snapshot.MetadataServiceIsCurrent);
            var reason = refused ? "model-status:" + status : model is null ? "model-unknown" : "model-no-longer-high";

            var keys = await db.PasskeyCredentials
                .Where(c => c.Aaguid == aaguid && c.Status == PasskeyStatus.Active)
                .ToListAsync(cancellationToken);
            foreach (var key in keys)
            {
                key.ModelStatus = status;
                if (suspends)
                {
                    await keyring.SuspendAsync(key, PasskeyStatusReasons.ModelStatusPrefix + status, "system", cancellationToken);
                    suspended++;
                }
                else if (!highStillEarned && key.Level == AuthenticationMethods.LoaHigh)
                {
                    key.Level = AuthenticationMethods.LoaSubstantial;
                    await db.SaveChangesAsync(cancellationToken);
                    // Sessions this key started at high must not keep that level.
                    await keyring.EndSessionsEstablishedWithAsync(key.CredentialId, "credential_downgraded", cancellationToken);
                    await audit.RecordAsync(new AuditEntry("passkey.downgraded", "system", key.PersonId, key.CredentialId, reason), CancellationToken.None);
                    downgraded++;
                }
                else if (highStillEarned && key.AttestedLevel == AuthenticationMethods.LoaHigh && key.Level != AuthenticationMethods.LoaHigh)
                {
                    // Back up to the level the key was attested at, never above it.
                    key.Level = AuthenticationMethods.LoaHigh;
                    await db.SaveChangesAsync(cancellationToken);
                    await audit.RecordAsync(new AuditEntry("passkey.restored", "system", key.PersonId, key.CredentialId, "model-status:" + (status ?? "none")), CancellationToken.None);
                    restored++;
                }
            }

            await db.SaveChangesAsync(cancellationToken);
        }

        if (suspended + downgraded + restored > 0)
        {
            LogReviewed(logger, snapshot.Version, suspended, downgraded, restored);
        }

        return new(suspended, downgraded, restored);
    }

    [LoggerMessage(EventId = 3020, Level = LogLevel.Warning, Message = "Authenticator metadata {Version} reviewed: {Suspended} keys suspended, {Downgraded} downgraded, {Restored} restored.")]
    private static partial void LogReviewed(ILogger logger, string version, int suspended, int downgraded, int restored);
}

/// <summary>Runs <see cref="PasskeyModelReview"/> whenever the loaded metadata changes.</summary>
internal sealed partial class PasskeyMetadataWatcher(
    IServiceScopeFactory scopes,
    IAuthenticatorCatalog catalog,
    IOptions<PasskeyMetadataOptions> metadata,
    TimeProvider time,
    ILogger<PasskeyMetadataWatcher> logger) : BackgroundService
{
    private string? _reviewedVersion;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Asking at the catalog's own pace: it re-reads the files at most that often anyway.
        using var timer = new PeriodicTimer(metadata.Value.ReloadCheckInterval, time);
        do
        {
            try
            {
                var version = catalog.Current.Version;
                if (version != _reviewedVersion)
                {
                    await using var scope = scopes.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<PasskeyModelReview>().ReviewAsync(stoppingToken);
                    _reviewedVersion = version;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The database may be migrating or briefly unreachable; the next tick tries again.
                LogReviewFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 3021, Level = LogLevel.Error, Message = "Reviewing registered keys against the authenticator metadata failed.")]
    private static partial void LogReviewFailed(ILogger logger, Exception exception);
}
