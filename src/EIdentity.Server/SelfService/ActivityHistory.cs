using System.Globalization;
using EIdentity.Server.Audit;
using EIdentity.Server.Oidc;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using Microsoft.EntityFrameworkCore;

namespace EIdentity.Server.SelfService;

/// <summary>One row of a citizen's activity history: their audit event, with what the page needs to say it plainly.</summary>
/// <param name="PortalName">The display name of the portal the row is about (portal sign-ins, consent), if any.</param>
/// <param name="SessionDevice">The device of the session the row is about (ended sessions), if known.</param>
/// <param name="ReportedAt">When the citizen reported this sign-in as not theirs ("this wasn't me"), if they did.</param>
internal sealed record ActivityEvent(
    long Sequence,
    DateTimeOffset OccurredAt,
    string Type,
    string Actor,
    string? Target,
    string? Detail,
    string? PortalName,
    string? SessionDevice,
    DateTimeOffset? ReportedAt)
{
    public bool IsSignIn => ActivityHistory.SignInTypes.Contains(Type);
}

internal sealed record ActivityPage(IReadOnlyList<ActivityEvent> Events, int Page, bool HasMore);

internal enum ReportOutcome
{
    Reported,

    /// <summary>No row of this person has that number.</summary>
    NotFound,

    /// <summary>The row is not a sign-in: there is nothing to disown.</summary>
    NotASignIn,
}

/// <summary>
/// The citizen's own audit events, newest first, and "this wasn't me": a sign-in the citizen
/// does not recognise ends every one of their sessions with the grants, and an
/// <c>activity.reported</c> row in the hash-chained log flags it for the security officers.
/// </summary>
internal sealed partial class ActivityHistory(
    EIdentityDbContext db,
    SessionService sessions,
    PortalRegistry portals,
    AuditLog audit,
    ILogger<ActivityHistory> logger)
{
    public const int PageSize = 50;

    /// <summary>The audit type that flags a reported row (Target: the reported row's sequence number).</summary>
    public const string ReportedType = "activity.reported";

    /// <summary>The end reason of the sessions a report ends.</summary>
    public const string ReportedByCitizen = "reported_by_citizen";

    /// <summary>Rows a citizen can disown.</summary>
    public static readonly IReadOnlySet<string> SignInTypes = new HashSet<string>(StringComparer.Ordinal) { "session.started", "portal.signin" };

    // Rows left out of the citizen's history because the next row tells the same story:
    // certificate.signin is followed by session.started, session.ended_by_citizen goes with session.ended.
    private static readonly string[] Repeats = ["certificate.signin", "session.ended_by_citizen"];

    private const int MaxDetailLength = 500;

    public async Task<ActivityPage> ListAsync(Guid personId, int page, CancellationToken cancellationToken = default)
    {
        page = Math.Clamp(page, 1, 1_000_000);
        var rows = await db.AuditEvents.AsNoTracking()
            .Where(e => e.PersonId == personId && !Repeats.Contains(e.Type))
            .OrderByDescending(e => e.Sequence)
            .Skip((page - 1) * PageSize)
            .Take(PageSize + 1)
            .ToListAsync(cancellationToken);
        var hasMore = rows.Count > PageSize;
        rows = [.. rows.Take(PageSize)];

        var sequences = rows.Select(r => r.Sequence.ToString(CultureInfo.InvariantCulture)).ToList();
        var reports = (await db.AuditEvents.AsNoTracking()
                .Where(e => e.PersonId == personId && e.Type == ReportedType && sequences.Contains(e.Target!))
                .Select(e => new { e.Target, e.OccurredAt })
                .ToListAsync(cancellationToken))
            .GroupBy(r => r.Target!)
            .ToDictionary(g => g.Key, g => g.Min(r => r.OccurredAt), StringComparer.Ordinal);

        var sessionIds = rows.Where(AboutSession).Select(r => r.Target!).Distinct().ToList();
        var devices = await db.SsoSessions.AsNoTracking()
            .Where(s => s.PersonId == personId && sessionIds.Contains(s.Id))
            .ToDictionaryAsync(s => s.Id, s => s.Device, cancellationToken);

        var portalNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var clientId in rows.Where(AboutPortal).Select(r => r.Target!).Distinct())
        {
            portalNames[clientId] = (await portals.FindAsync(clientId, cancellationToken))?.DisplayName ?? clientId;
        }

        return new ActivityPage([.. rows.Select(r => new ActivityEvent(
            r.Sequence, r.OccurredAt, r.Type, r.Actor, r.Target, r.Detail,
            AboutPortal(r) ? portalNames[r.Target!] : null,
            AboutSession(r) ? devices.GetValueOrDefault(r.Target!) : null,
            reports.TryGetValue(r.Sequence.ToString(CultureInfo.InvariantCulture), out var reportedAt) ? reportedAt : null))],
            page, hasMore);
    }

    /// <summary>One of the person's own rows, or null.</summary>
    public async Task<ActivityEvent?> FindAsync(Guid personId, long sequence, CancellationToken cancellationToken = default)
    {
        var row = await db.AuditEvents.AsNoTracking().SingleOrDefaultAsync(e => e.Sequence == sequence && e.PersonId == personId, cancellationToken);
        if (row is null)
        {
            return null;
        }

        var target = sequence.ToString(CultureInfo.InvariantCulture);
        var reportedAt = await db.AuditEvents.AsNoTracking()
            .Where(e => e.PersonId == personId && e.Type == ReportedType && e.Target == target)
            .Select(e => (DateTimeOffset?)e.OccurredAt).FirstOrDefaultAsync(cancellationToken);
        var portal = AboutPortal(row) ? (await portals.FindAsync(row.Target!, cancellationToken))?.DisplayName ?? row.Target : null;
        return new ActivityEvent(row.Sequence, row.OccurredAt, row.Type, row.Actor, row.Target, row.Detail, portal, null, reportedAt);
    }

    /// <summary>
    /// "This wasn't me" on one of the person's sign-ins: ends all their sessions, the current one
    /// included, revoking what those sessions granted (portals are notified), and flags the row.
    /// </summary>
    /// <param name="currentSessionId">The session the report was made from (recorded for the security officers).</param>
    public async Task<(ReportOutcome Outcome, int SessionsEnded)> ReportAsync(Guid personId, long sequence, string currentSessionId)
    {
        // Once the citizen has asked, the report is carried out whole: request cancellation is ignored.
        var row = await db.AuditEvents.AsNoTracking().SingleOrDefaultAsync(e => e.Sequence == sequence && e.PersonId == personId, CancellationToken.None);
        if (row is null)
        {
            return (ReportOutcome.NotFound, 0);
        }

        if (!SignInTypes.Contains(row.Type))
        {
            return (ReportOutcome.NotASignIn, 0);
        }

        // The credential that made the disowned sign-in is what an officer looks at first.
        var credential = row.Type == "session.started" && row.Target is { } sessionId
            ? await db.SsoSessions.AsNoTracking().Where(s => s.Id == sessionId && s.PersonId == personId)
                .Select(s => s.CredentialId).SingleOrDefaultAsync(CancellationToken.None)
            : null;
        var ended = await sessions.EndWhereAsync(s => s.PersonId == personId, ReportedByCitizen, SessionEndScope.SessionAndGrants,
            cancellationToken: CancellationToken.None);
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"type={row.Type}; target={row.Target}; credential={credential ?? "?"}; sessions_ended={ended}; from={currentSessionId}");
        await audit.RecordAsync(new AuditEntry(ReportedType, "citizen", personId, row.Sequence.ToString(CultureInfo.InvariantCulture),
            detail.Length > MaxDetailLength ? detail[..MaxDetailLength] : detail), CancellationToken.None);
        LogReported(logger, personId, row.Sequence, ended);
        return (ReportOutcome.Reported, ended);
    }

    private static bool AboutSession(AuditEvent row) => row.Target is not null && row.Type.StartsWith("session.", StringComparison.Ordinal);

    private static bool AboutPortal(AuditEvent row) => row.Target is not null
        && (row.Type.StartsWith("portal.", StringComparison.Ordinal) || row.Type.StartsWith("consent.", StringComparison.Ordinal));

    [LoggerMessage(EventId = 6411, Level = LogLevel.Warning, Message = "Identity {PersonId} reported audit event {Sequence} as not theirs; {Count} session(s) ended.")]
    private static partial void LogReported(ILogger logger, Guid personId, long sequence, int count);
}
