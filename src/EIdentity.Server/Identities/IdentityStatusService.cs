using EIdentity.Server.Audit;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EIdentity.Server.Identities;

internal enum IdentityStatusChange
{
    /// <summary>The status changed (and, for a suspension, the cascade ran).</summary>
    Done,

    /// <summary>The identity was already in that status; a suspension still swept what was left.</summary>
    Unchanged,

    NotFound,
}

/// <param name="SessionsEnded">SSO sessions ended by this call.</param>
/// <param name="AuthorizationsRevoked">Grants (OpenIddict authorizations) revoked with their tokens by this call.</param>
internal sealed record IdentityStatusResult(IdentityStatusChange Change, int SessionsEnded = 0, int AuthorizationsRevoked = 0);

/// <summary>
/// A security officer suspends or reinstates an electronic identity. Suspension takes effect
/// everywhere at once: every session ends (its portals are told by back channel), every grant is
/// revoked with its tokens (refresh fails, introspection answers inactive). Reinstating lets the
/// person sign in again; nothing that suspension ended comes back.
/// </summary>
internal sealed partial class IdentityStatusService(
    EIdentityDbContext db,
    SessionService sessions,
    IOpenIddictAuthorizationManager authorizations,
    AuditLog audit,
    ILogger<IdentityStatusService> logger)
{
    public const string SuspendedReason = "identity_suspended";

    // Once decided, a suspension is carried out whole: a client hanging up must not leave grants alive.

    public async Task<IdentityStatusResult> SuspendAsync(Guid personId, string? reason, string actor, CancellationToken cancellationToken = default)
    {
        if (!await db.Users.AnyAsync(p => p.Id == personId, cancellationToken))
        {
            return new(IdentityStatusChange.NotFound);
        }

        // Conditional update: of two officers suspending at once, one records the suspension.
        // From here on no sign-in, code redemption or refresh succeeds (each checks the status).
        var changed = await db.Users.Where(p => p.Id == personId && p.Status == PersonStatus.Active)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PersonStatus.Suspended), CancellationToken.None) == 1;

        // Run the cascade even when already suspended: a repeated call finishes one that was interrupted.
        var granted = await ValidGrantsAsync(personId);
        var ended = await sessions.EndWhereAsync(s => s.PersonId == personId, SuspendedReason,
            SessionEndScope.SessionAndGrants, cancellationToken: CancellationToken.None);

        // What the sessions did not hold (offline access kept after an ordinary logout, remembered
        // consent), and anything granted while the sessions were ending.
        var remaining = await ValidGrantsAsync(personId);
        foreach (var id in remaining)
        {
            await sessions.RevokeAuthorizationAsync(id);
        }

        var revoked = granted.Union(remaining).Count();

        if (changed)
        {
            await audit.RecordAsync(new AuditEntry("identity.suspended", actor, personId, personId.ToString(),
                $"sessions_ended={ended}; grants_revoked={revoked}" + (string.IsNullOrWhiteSpace(reason) ? "" : $"; reason={reason}")),
                CancellationToken.None);
            LogSuspended(logger, personId, ended, revoked);
        }

        return new(changed ? IdentityStatusChange.Done : IdentityStatusChange.Unchanged, ended, revoked);
    }

    public async Task<IdentityStatusResult> ReinstateAsync(Guid personId, string? reason, string actor, CancellationToken cancellationToken = default)
    {
        if (!await db.Users.AnyAsync(p => p.Id == personId, cancellationToken))
        {
            return new(IdentityStatusChange.NotFound);
        }

        var changed = await db.Users.Where(p => p.Id == personId && p.Status == PersonStatus.Suspended)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PersonStatus.Active), CancellationToken.None) == 1;
        if (!changed)
        {
            return new(IdentityStatusChange.Unchanged);
        }

        // Sessions, grants and tokens ended by the suspension stay ended: the person signs in afresh.
        await audit.RecordAsync(new AuditEntry("identity.reinstated", actor, personId, personId.ToString(),
            string.IsNullOrWhiteSpace(reason) ? null : $"reason={reason}"), CancellationToken.None);
        LogReinstated(logger, personId);
        return new(IdentityStatusChange.Done);
    }

    /// <summary>
    /// The person's valid grants: authorizations are issued with the internal id as subject. Their
    /// tokens name the portal's pairwise <c>sub</c>, so tokens are reached through their
    /// authorization (<see cref="SessionService.RevokeAuthorizationAsync"/>), never by subject.
    /// </summary>
    private async Task<List<string>> ValidGrantsAsync(Guid personId)
    {
        var valid = new List<string>();
        await foreach (var authorization in authorizations.FindBySubjectAsync(personId.ToString(), CancellationToken.None))
        {
            if (await authorizations.HasStatusAsync(authorization, Statuses.Valid, CancellationToken.None)
                && await authorizations.GetIdAsync(authorization, CancellationToken.None) is { } id)
            {
                valid.Add(id);
            }
        }

        return valid;
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "Identity {PersonId} suspended; {Sessions} session(s) ended, {Grants} grant(s) revoked.")]
    private static partial void LogSuspended(ILogger logger, Guid personId, int sessions, int grants);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Identity {PersonId} reinstated.")]
    private static partial void LogReinstated(ILogger logger, Guid personId);
}
