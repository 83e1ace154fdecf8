using System.Linq.Expressions;
using EIdentity.Server.Audit;
using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Identities;
using EIdentity.Server.Oidc;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.SelfService;

internal sealed record SessionPortal(string ClientId, string DisplayName);

/// <summary>One of the citizen's live sessions, as the sessions page shows it.</summary>
/// <param name="KeyName">The name the citizen gave the passkey the session was signed in with, if it was one.</param>
internal sealed record CitizenSession(
    string Id,
    DateTimeOffset AuthenticatedAt,
    DateTimeOffset LastSeenAt,
    string? Device,
    string Acr,
    IReadOnlyList<string> Amr,
    string? KeyName,
    IReadOnlyList<SessionPortal> Portals,
    bool IsCurrent);

internal enum SessionEnding
{
    Ended,

    /// <summary>No live session of this person has that id (another person's, ended, or made up).</summary>
    NotFound,

    /// <summary>The session making the request: that is a sign-out, not an "end".</summary>
    Current,
}

/// <summary>
/// A citizen's own SSO sessions: listed with the portals that took part, and ended one at a time or
/// all but the current one. Ending goes through <see cref="SessionService.EndWhereAsync"/> with the
/// grants, so the portals are told (back-channel logout) and their refresh tokens stop working.
/// </summary>
internal sealed partial class CitizenSessions(
    EIdentityDbContext db,
    SessionService sessions,
    PortalRegistry portals,
    PasskeyKeyring keyring,
    AuditLog audit,
    TimeProvider time,
    IOptions<Sessions.SessionOptions> options,
    ILogger<CitizenSessions> logger)
{
    /// <summary>The end reason (session.ended detail) when the citizen ends a session from the sessions page.</summary>
    public const string EndedByCitizen = "ended_by_citizen";

    public async Task<IReadOnlyList<CitizenSession>> ListAsync(Person person, string currentSessionId, CancellationToken cancellationToken = default)
    {
        var live = await db.SsoSessions.AsNoTracking().Where(Live(person.Id)).ToListAsync(cancellationToken);
        var ids = live.Select(s => s.Id).ToList();
        var grants = await db.SessionGrants.AsNoTracking().Where(g => ids.Contains(g.SessionId)).ToListAsync(cancellationToken);
        var keyNames = (await keyring.ListAsync(person, cancellationToken)).ToDictionary(k => k.CredentialId, k => k.Name, StringComparer.Ordinal);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var clientId in grants.Select(g => g.ClientId).Distinct())
        {
            names[clientId] = (await portals.FindAsync(clientId, cancellationToken))?.DisplayName ?? clientId;
        }

        return [.. live
            .OrderByDescending(s => s.Id == currentSessionId)
            .ThenByDescending(s => s.LastSeenAt)
            .Select(s => new CitizenSession(
                s.Id, s.AuthenticatedAt, s.LastSeenAt, s.Device, s.Acr,
                s.Amr.Split(' ', StringSplitOptions.RemoveEmptyEntries),
                s.CredentialId is { } credentialId ? keyNames.GetValueOrDefault(credentialId) : null,
                [.. grants.Where(g => g.SessionId == s.Id)
                    .OrderBy(g => g.GrantedAt)
                    .Select(g => g.ClientId)
                    .Distinct(StringComparer.Ordinal)
                    .Select(clientId => new SessionPortal(clientId, names[clientId]))],
                s.Id == currentSessionId))];
    }

    /// <summary>Ends one of the person's other sessions. Never touches another person's session.</summary>
    public async Task<SessionEnding> EndAsync(Guid personId, string sessionId, string currentSessionId)
    {
        if (sessionId == currentSessionId)
        {
            return SessionEnding.Current;
        }

        var ended = await EndAsync(personId, [sessionId], currentSessionId);
        return ended == 0 ? SessionEnding.NotFound : SessionEnding.Ended;
    }

    /// <summary>Ends every live session of the person except the current one; returns how many ended.</summary>
    public async Task<int> EndOthersAsync(Guid personId, string currentSessionId)
    {
        var others = await db.SsoSessions.AsNoTracking().Where(Live(personId)).Where(s => s.Id != currentSessionId)
            .Select(s => s.Id).ToListAsync(CancellationToken.None);
        return others.Count == 0 ? 0 : await EndAsync(personId, others, currentSessionId);
    }

    // Once the citizen has asked, the end is carried out whole: request cancellation is ignored.
    private async Task<int> EndAsync(Guid personId, List<string> sessionIds, string currentSessionId)
    {
        var ending = await db.SsoSessions.AsNoTracking().Where(Live(personId)).Where(s => sessionIds.Contains(s.Id))
            .Select(s => s.Id).ToListAsync(CancellationToken.None);
        if (ending.Count == 0)
        {
            return 0;
        }

        var ended = await sessions.EndWhereAsync(s => s.PersonId == personId && ending.Contains(s.Id), EndedByCitizen,
            SessionEndScope.SessionAndGrants, cancellationToken: CancellationToken.None);
        foreach (var sessionId in ending)
        {
            // session.ended (actor "system") records the end; this row records who asked, from which session.
            await audit.RecordAsync(new AuditEntry("session.ended_by_citizen", "citizen", personId, sessionId, "from=" + currentSessionId), CancellationToken.None);
        }

        LogEnded(logger, personId, ended);
        return ended;
    }

    /// <summary>Sessions that still let a browser in: not ended, not past their absolute or idle timeout.</summary>
    private Expression<Func<SsoSession, bool>> Live(Guid personId)
    {
        var now = time.GetUtcNow();
        var idleSince = now - options.Value.IdleTimeout;
        return s => s.PersonId == personId && s.EndedAt == null && s.ExpiresAt > now && s.LastSeenAt > idleSince;
    }

    [LoggerMessage(EventId = 6401, Level = LogLevel.Information, Message = "Identity {PersonId} ended {Count} of their other session(s).")]
    private static partial void LogEnded(ILogger logger, Guid personId, int count);
}
