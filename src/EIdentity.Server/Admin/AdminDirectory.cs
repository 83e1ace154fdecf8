using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Identities;
using EIdentity.Server.Oidc;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Admin;

/// <summary>What a security officer sees of an identity: its status, sessions, credentials and logout deliveries.</summary>
internal sealed class AdminDirectory(
    EIdentityDbContext db,
    PasskeyKeyring keyring,
    CertificateBlockList blocks,
    PortalRegistry portals,
    TimeProvider time,
    IOptions<Sessions.SessionOptions> sessionOptions)
{
    /// <summary>How long an ended or expired session stays in the list.</summary>
    public static readonly TimeSpan RecentlyEnded = TimeSpan.FromDays(30);

    public const int MaxSessions = 100;

    public Task<Person?> FindAsync(Guid id, CancellationToken cancellationToken) =>
        db.Users.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, cancellationToken);

    public async Task<IdentitySummary> SummarizeAsync(Person person, CancellationToken cancellationToken)
    {
        var sessions = await ListSessionsAsync(person.Id, cancellationToken);
        var credentials = await ListCredentialsAsync(person, cancellationToken);
        return new IdentitySummary(person.Id, Word(person.Status), person.CreatedAt,
            new SessionCounts(sessions.Count(s => s.Status == "active"), sessions.Count > 0 ? sessions.Max(s => s.StartedAt) : null),
            new CredentialCounts(
                credentials.Passkeys.Count(p => p.Status == Word(PasskeyStatus.Active)),
                credentials.Passkeys.Count(p => p.Status == Word(PasskeyStatus.Suspended)),
                credentials.Passkeys.Count(p => p.Status == Word(PasskeyStatus.Revoked)),
                credentials.Certificates.Count,
                credentials.Certificates.Count(c => c.Blocked)));
    }

    /// <summary>Live sessions and those ended or expired in the last <see cref="RecentlyEnded"/>, newest first.</summary>
    public async Task<IReadOnlyList<SessionView>> ListSessionsAsync(Guid personId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var since = now - RecentlyEnded;
        var sessions = await db.SsoSessions.AsNoTracking()
            .Where(s => s.PersonId == personId && (s.EndedAt > since || (s.EndedAt == null && s.ExpiresAt > since)))
            .OrderByDescending(s => s.AuthenticatedAt)
            .Take(MaxSessions)
            .ToListAsync(cancellationToken);
        var ids = sessions.Select(s => s.Id).ToList();
        var grants = await db.SessionGrants.AsNoTracking().Where(g => ids.Contains(g.SessionId)).ToListAsync(cancellationToken);

        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var clientId in grants.Select(g => g.ClientId).Distinct())
        {
            names[clientId] = (await portals.FindAsync(clientId, cancellationToken))?.DisplayName ?? clientId;
        }

        return [.. sessions.Select(s => new SessionView(
            s.Id,
            StatusOf(s, now),
            s.AuthenticatedAt,
            s.LastSeenAt,
            s.ExpiresAt,
            s.Acr,
            s.Amr.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            s.Device,
            s.CredentialId,
            [.. grants.Where(g => g.SessionId == s.Id)
                .GroupBy(g => g.ClientId, StringComparer.Ordinal)
                .Select(g => new SessionPortal(g.Key, names[g.Key], g.Min(x => x.GrantedAt)))
                .OrderBy(p => p.FirstGrantedAt)],
            s.EndedAt,
            s.EndReason))];
    }

    public Task<SsoSession?> FindSessionAsync(string sessionId, CancellationToken cancellationToken) =>
        db.SsoSessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sessionId, cancellationToken);

    /// <summary>The person's passkeys (withdrawn ones from their tombstones) and the certificates that signed in.</summary>
    public async Task<CredentialList> ListCredentialsAsync(Person person, CancellationToken cancellationToken)
    {
        var keys = await keyring.ListAsync(person, cancellationToken);
        var listed = keys.Select(k => k.CredentialId).ToHashSet(StringComparer.Ordinal);
        var records = await db.PasskeyCredentials.AsNoTracking().Where(c => c.PersonId == person.Id).ToListAsync(cancellationToken);
        var changedAt = records.ToDictionary(r => r.CredentialId, r => r.StatusChangedAt, StringComparer.Ordinal);
        var passkeys = keys.Select(k => new PasskeySummary(k.CredentialId, k.Name, k.Model, k.Level, Word(k.Status), k.StatusReason,
                changedAt.GetValueOrDefault(k.CredentialId), k.AddedAt, k.LastUsedAt))
            .Concat(records.Where(r => !listed.Contains(r.CredentialId)).OrderBy(r => r.StatusChangedAt).Select(r => new PasskeySummary(
                r.CredentialId, null, r.Model, r.Level, Word(r.Status), r.StatusReason, r.StatusChangedAt, r.RegisteredAt, r.LastUsedAt)))
            .ToList();

        var certificates = new List<CertificateSummary>();
        foreach (var c in await db.CertificateCredentials.AsNoTracking().Where(c => c.PersonId == person.Id).OrderBy(c => c.FirstUsedAt).ToListAsync(cancellationToken))
        {
            certificates.Add(new CertificateSummary(c.CredentialReference, c.IssuerDisplayName, c.SerialNumber, c.NotBefore, c.NotAfter,
                c.Level, c.OrganizationId, c.FirstUsedAt, c.LastUsedAt, await blocks.IsBlockedAsync(c.IssuerName, c.SerialNumber, cancellationToken)));
        }

        return new CredentialList(person.Id, passkeys, certificates);
    }

    public async Task<IReadOnlyList<DeliveryView>> ListDeliveriesAsync(LogoutDeliveryStatus? status, Guid? personId, int limit, CancellationToken cancellationToken)
    {
        var query = db.LogoutDeliveries.AsNoTracking();
        if (status is { } wanted)
        {
            query = query.Where(d => d.Status == wanted);
        }

        if (personId is { } person)
        {
            query = query.Where(d => d.PersonId == person);
        }

        var rows = await query.OrderByDescending(d => d.CreatedAt).Take(limit).ToListAsync(cancellationToken);
        return [.. rows.Select(d => new DeliveryView(d.Id, d.SessionId, d.ClientId, d.PersonId, d.Reason, Word(d.Status), d.Attempts,
            d.CreatedAt, d.NextAttemptAt, d.DeliveredAt, d.LastError))];
    }

    private string StatusOf(SsoSession session, DateTimeOffset now) =>
        session.EndedAt is not null ? "ended"
        : now >= session.ExpiresAt ? "expired"
        : now - session.LastSeenAt > sessionOptions.Value.IdleTimeout ? "idle"
        : "active";

    public static string Word<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
