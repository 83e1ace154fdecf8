using System.Globalization;
using EIdentity.Server.Audit;
using EIdentity.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Oidc;

/// <summary>The state of a signing key at a moment.</summary>
internal enum SigningKeyState
{
    /// <summary>In the JWKS, not signing yet: portals fetch it before they meet it.</summary>
    Published,

    /// <summary>Signs new tokens.</summary>
    Signing,

    /// <summary>Superseded: in the JWKS until what it signed has expired.</summary>
    Retiring,

    /// <summary>Out of the JWKS; tokens it signed are refused.</summary>
    Retired,
}

internal sealed record SigningKeyView(string Id, string KeyId, string Algorithm, SigningKeyState State, DateTimeOffset CreatedAt, DateTimeOffset ActivatesAt, DateTimeOffset? RetiresAt);

internal sealed record KeyRotation(IReadOnlyList<SigningKeyView> Added, IReadOnlyList<SigningKeyView> Superseded);

/// <summary>
/// Rotates the token signing keys (ES256 and RS256 together). The new keys are published at once
/// and sign from <c>now + publishFor</c>, so portals that cache the JWKS have fetched them before
/// they meet a token signed with them; the keys they replace stay published until the longest-lived
/// token they could have signed (a refresh token) has expired. After a compromise,
/// <c>retireNow</c> makes the new keys sign at once and drops the old ones immediately: every token
/// they signed is refused, and citizens sign in to portals again.
/// </summary>
internal sealed class ServerKeyRotation(EIdentityDbContext db, ServerKeyStore store, TimeProvider time, IOptions<OidcOptions> oidc, AuditLog audit)
{
    // On a database no node has started on yet, the first keys are made before anything is rotated or listed.
    private void EnsureFirstKeys() => _ = store.SigningKeys;

    public async Task<KeyRotation> RotateAsync(TimeSpan publishFor, bool retireNow, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(publishFor, TimeSpan.Zero);
        EnsureFirstKeys();
        var now = time.GetUtcNow();
        var activation = retireNow ? now : now + publishFor;
        var settings = oidc.Value;
        var longest = new[] { settings.RefreshTokenLifetime, settings.AccessTokenLifetime, settings.IdentityTokenLifetime, settings.AuthorizationCodeLifetime }.Max();
        var retirement = retireNow ? now : activation + longest;

        var live = (await db.ServerKeys.ToListAsync(cancellationToken))
            .Where(k => k.IsSigningKey && !(k.RetiresAt <= now)).ToList();
        foreach (var key in live.Where(k => k.RetiresAt is null || k.RetiresAt > retirement))
        {
            key.RetiresAt = retirement;
        }

        var stamp = now.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        var added = new List<ServerKey>();
        foreach (var kind in new[] { "ES256", "RS256" })
        {
            var id = $"signing-{kind.ToLowerInvariant()}-{stamp}";
            if (live.Any(k => k.Id == id) || await db.ServerKeys.AnyAsync(k => k.Id == id, cancellationToken))
            {
                id += "-" + Guid.NewGuid().ToString("N")[..6];
            }

            var key = new ServerKey { Id = id, Kind = kind, Material = ServerKeyStore.GenerateSigningMaterial(kind), CreatedAt = now, ActivatesAt = activation };
            db.ServerKeys.Add(key);
            added.Add(key);
        }

        await db.SaveChangesAsync(cancellationToken);
        var result = new KeyRotation([.. added.Select(k => View(k, now))], [.. live.Select(k => View(k, now))]);
        await audit.RecordAsync(new AuditEntry(retireNow ? "keys.rotated.retire-now" : "keys.rotated", actor, null,
            string.Join(",", result.Added.Select(k => k.KeyId)),
            $"signs from {activation:O}; superseded {string.Join(",", result.Superseded.Select(k => k.KeyId))} retire at {retirement:O}"), cancellationToken);
        return result;
    }

    /// <summary>Every signing key ever made, newest first, with its state now.</summary>
    public async Task<IReadOnlyList<SigningKeyView>> ListAsync(CancellationToken cancellationToken = default)
    {
        EnsureFirstKeys();
        var now = time.GetUtcNow();
        var rows = (await db.ServerKeys.AsNoTracking().ToListAsync(cancellationToken)).Where(k => k.IsSigningKey);
        var views = rows.Select(k => View(k, now)).OrderByDescending(v => v.ActivatesAt).ThenByDescending(v => v.CreatedAt).ToList();
        // Of the keys already active and not retired, the newest per algorithm signs (as ServerKeyStore.Signer picks).
        foreach (var algorithm in views.Select(v => v.Algorithm).Distinct().ToList())
        {
            if (views.FirstOrDefault(v => v.Algorithm == algorithm && v.State == SigningKeyState.Retiring) is { } signer)
            {
                views[views.IndexOf(signer)] = signer with { State = SigningKeyState.Signing };
            }
        }

        return views;
    }

    private static SigningKeyView View(ServerKey key, DateTimeOffset now)
    {
        var imported = ServerKeyStore.Import(key);
        var activates = key.ActivatesAt ?? key.CreatedAt;
        // Active keys are "retiring" here; ListAsync marks the one that signs.
        var state = key.RetiresAt <= now ? SigningKeyState.Retired
            : activates > now ? SigningKeyState.Published
            : SigningKeyState.Retiring;
        return new SigningKeyView(key.Id, imported.KeyId, key.Kind, state, key.CreatedAt, activates, key.RetiresAt);
    }
}
