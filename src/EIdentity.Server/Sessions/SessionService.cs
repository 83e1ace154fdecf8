using System.Buffers.Text;
using System.Linq.Expressions;
using System.Security.Claims;
using System.Security.Cryptography;
using EIdentity.Server.Identities;
using EIdentity.Server.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EIdentity.Server.Sessions;

/// <param name="OrganizationId">The organization the person acts for (a certificate naming both), if any.</param>
internal sealed record SignInEvidence(string CredentialId, string Acr, IReadOnlyList<string> Amr, Guid? OrganizationId = null);

/// <summary>How far the end of a session reaches.</summary>
internal enum SessionEndScope
{
    /// <summary>The session ends and its portals are notified; grants with offline access keep working (a logout).</summary>
    Session,

    /// <summary>
    /// Also revokes every authorization the session granted, with its tokens: refresh fails and
    /// introspection answers inactive at once (a credential withdrawn, an identity suspended, "this wasn't me").
    /// </summary>
    SessionAndGrants,
}

/// <summary>Starts, checks and ends SSO sessions.</summary>
internal sealed partial class SessionService(
    EIdentityDbContext db,
    TimeProvider time,
    IOptions<SessionOptions> options,
    IOpenIddictAuthorizationManager authorizations,
    IOpenIddictTokenManager tokens,
    Oidc.PortalRegistry portals,
    BackchannelLogoutSignal outbox,
    Audit.AuditLog audit,
    ILogger<SessionService> logger)
{
    public const string Scheme = "EIdentity.Session";

    private (string Sid, (SsoSession Session, Person Person)? Result)? _resolved;

    /// <summary>Claim types carried by the session cookie.</summary>
    public static class Claims
    {
        public const string PersonId = "pid";
        public const string SessionId = "sid";
        public const string AuthTime = "auth_time";
        public const string Acr = "acr";
        public const string Amr = "amr";
    }

    public async Task<SsoSession> SignInAsync(HttpContext http, Person person, SignInEvidence evidence)
    {
        var now = time.GetUtcNow();
        var session = new SsoSession
        {
            Id = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24)),
            PersonId = person.Id,
            AuthenticatedAt = now,
            LastSeenAt = now,
            ExpiresAt = now + options.Value.AbsoluteTimeout,
            CredentialId = evidence.CredentialId,
            OrganizationId = evidence.OrganizationId,
            Acr = evidence.Acr,
            Amr = string.Join(' ', evidence.Amr),
            Device = DeviceDescription.From(http.Request.Headers.UserAgent),
        };
        db.SsoSessions.Add(session);
        await db.SaveChangesAsync(http.RequestAborted);

        var identity = new ClaimsIdentity(Scheme, Claims.PersonId, null);
        identity.AddClaim(new Claim(Claims.PersonId, person.Id.ToString()));
        identity.AddClaim(new Claim(Claims.SessionId, session.Id));
        await http.SignInAsync(Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties
        {
            IsPersistent = false,
            IssuedUtc = now,
        });
        LogSessionStarted(logger, session.Id, person.Id, session.Acr);
        await audit.RecordAsync(new Audit.AuditEntry("session.started", "citizen", person.Id, session.Id, Describe(session)), CancellationToken.None);
        return session;
    }

    /// <summary>
    /// Resolves the session behind the cookie principal, or null when it has ended, expired,
    /// idled out, or its identity is no longer active. Touches the idle clock.
    /// </summary>
    public async Task<(SsoSession Session, Person Person)?> ResolveAsync(ClaimsPrincipal? principal, CancellationToken cancellationToken = default)
    {
        var sid = principal?.FindFirst(Claims.SessionId)?.Value;
        if (sid is null)
        {
            return null;
        }

        // One lookup per request: the cookie check and the endpoint ask for the same session.
        if (_resolved is { } cached && cached.Sid == sid)
        {
            return cached.Result;
        }

        var result = await LoadAsync(sid, cancellationToken);
        _resolved = (sid, result);
        return result;
    }

    private async Task<(SsoSession Session, Person Person)?> LoadAsync(string sid, CancellationToken cancellationToken)
    {
        var session = await db.SsoSessions.SingleOrDefaultAsync(s => s.Id == sid, cancellationToken);
        var now = time.GetUtcNow();
        if (session is null || !session.IsActiveAt(now))
        {
            return null;
        }

        if (now - session.LastSeenAt > options.Value.IdleTimeout)
        {
            await EndAsync(session, "idle_timeout", cancellationToken: cancellationToken);
            return null;
        }

        var person = await db.Users.SingleOrDefaultAsync(p => p.Id == session.PersonId, cancellationToken);
        if (person is null || !person.IsActive)
        {
            return null;
        }

        // Write the idle clock at most once a minute, not on every request.
        if (now - session.LastSeenAt > TimeSpan.FromMinutes(1))
        {
            session.LastSeenAt = now;
            await db.SaveChangesAsync(cancellationToken);
        }

        return (session, person);
    }

    /// <summary>Ends one session (see <see cref="EndWhereAsync"/>).</summary>
    public async Task EndAsync(SsoSession session, string reason, SessionEndScope scope = SessionEndScope.Session,
        string? initiatingClientId = null, CancellationToken cancellationToken = default)
    {
        _resolved = null;
        if (session.EndedAt is not null)
        {
            return;
        }

        var id = session.Id;
        await EndWhereAsync(s => s.Id == id, reason, scope, initiatingClientId, cancellationToken);
        // The caller may read its instance again; the row itself was written above (by this call or another).
        session.EndedAt ??= time.GetUtcNow();
        session.EndReason ??= reason;
        if (db.Entry(session).State == EntityState.Modified)
        {
            db.Entry(session).State = EntityState.Unchanged;
        }
    }

    /// <summary>
    /// Ends every live session matching <paramref name="which"/> in one unit of work: the sessions
    /// are marked ended and, in the same transaction, a back-channel logout row is written for each
    /// portal that took part and registered a logout URI (except <paramref name="initiatingClientId"/>,
    /// which asked for the logout itself). With <see cref="SessionEndScope.SessionAndGrants"/> the
    /// authorizations the sessions granted are revoked with their tokens. Returns the sessions ended.
    /// </summary>
    public async Task<int> EndWhereAsync(Expression<Func<SsoSession, bool>> which, string reason, SessionEndScope scope,
        string? initiatingClientId = null, CancellationToken cancellationToken = default)
    {
        _resolved = null;
        var now = time.GetUtcNow();
        var candidates = await db.SsoSessions.AsNoTracking().Where(which).Where(s => s.EndedAt == null).ToListAsync(cancellationToken);
        if (candidates.Count == 0)
        {
            return 0;
        }

        var ids = candidates.Select(s => s.Id).ToList();
        var grants = await db.SessionGrants.AsNoTracking().Where(g => ids.Contains(g.SessionId)).ToListAsync(cancellationToken);

        // Once decided, the end is carried out whole: a client hanging up must not leave half of it.
        // Each session is ended by a conditional update, so of two nodes (or a request and the
        // sweeper) ending the same session only one writes its logout rows.
        var ended = new List<SsoSession>();
        var deliveries = 0;
        await using (var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None))
        {
            foreach (var session in candidates)
            {
                var id = session.Id;
                var won = await db.SsoSessions.Where(s => s.Id == id && s.EndedAt == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, now).SetProperty(s => s.EndReason, reason), CancellationToken.None);
                if (won == 1)
                {
                    ended.Add(session);
                }
            }

            foreach (var grant in grants.Where(g => ended.Any(s => s.Id == g.SessionId)).DistinctBy(g => (g.SessionId, g.ClientId)))
            {
                if (grant.ClientId == initiatingClientId
                    || await portals.FindAsync(grant.ClientId, CancellationToken.None) is not { BackchannelLogoutUri: not null })
                {
                    continue;
                }

                db.LogoutDeliveries.Add(new LogoutDelivery
                {
                    Id = Guid.CreateVersion7(now),
                    SessionId = grant.SessionId,
                    ClientId = grant.ClientId,
                    PersonId = ended.First(s => s.Id == grant.SessionId).PersonId,
                    Issuer = grant.Issuer,
                    Reason = reason,
                    Status = LogoutDeliveryStatus.Pending,
                    CreatedAt = now,
                    NextAttemptAt = now,
                });
                deliveries++;
            }

            await db.SaveChangesAsync(CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
        }

        foreach (var session in ended)
        {
            LogSessionEnded(logger, session.Id, reason);
            await audit.RecordAsync(new Audit.AuditEntry("session.ended", "system", session.PersonId, session.Id, reason), CancellationToken.None);
        }

        // A security end revokes what the sessions granted even where another node ended them first.
        if (scope == SessionEndScope.SessionAndGrants)
        {
            await RevokeGrantsWhereAsync(s => ids.Contains(s.Id));
        }

        if (deliveries > 0)
        {
            outbox.Wake();
        }

        return ended.Count;
    }

    /// <summary>
    /// Ends the sessions that ran out while nobody used them (idle or past their absolute end), so
    /// that their portals are told now rather than when the browser next comes back. Run by every
    /// node's background worker; the conditional end makes concurrent sweeps harmless.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var idleSince = now - options.Value.IdleTimeout;
        var expired = await EndWhereAsync(s => s.ExpiresAt <= now, "expired", SessionEndScope.Session, cancellationToken: cancellationToken);
        var idle = await EndWhereAsync(s => s.LastSeenAt < idleSince, "idle_timeout", SessionEndScope.Session, cancellationToken: cancellationToken);
        return expired + idle;
    }

    /// <summary>How the session was authenticated, for the audit log and the citizen's activity page: "amr=…; acr=…; device=…".</summary>
    public static string Describe(SsoSession session) => $"amr={session.Amr}; acr={session.Acr}; device={session.Device ?? "?"}";

    /// <summary>Records that the session granted a portal an authorization (the portal takes part in the session).</summary>
    /// <param name="issuer">The issuer the portal's ID token names (the configured one, or the request's origin).</param>
    public async Task RecordGrantAsync(SsoSession session, string clientId, string authorizationId, string issuer, CancellationToken cancellationToken = default)
    {
        db.SessionGrants.Add(new SessionGrant
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            SessionId = session.Id,
            ClientId = clientId,
            AuthorizationId = authorizationId,
            GrantedAt = time.GetUtcNow(),
            Issuer = issuer,
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Revokes an authorization and every token issued under it.</summary>
    public async Task RevokeAuthorizationAsync(string authorizationId)
    {
        if (await authorizations.FindByIdAsync(authorizationId, CancellationToken.None) is { } authorization)
        {
            await authorizations.TryRevokeAsync(authorization, CancellationToken.None);
        }

        await tokens.RevokeByAuthorizationIdAsync(authorizationId, CancellationToken.None);
    }

    /// <summary>
    /// Revokes, with their tokens, the still-valid grants of every session matching
    /// <paramref name="which"/>, ended or not: grants with offline access outlive a logout, and
    /// must still end with the credential they were signed in with. Returns the grants revoked.
    /// </summary>
    public async Task<int> RevokeGrantsWhereAsync(Expression<Func<SsoSession, bool>> which)
    {
        var sessionIds = db.SsoSessions.Where(which).Select(s => s.Id);
        var authorizationIds = await db.SessionGrants.AsNoTracking().Where(g => sessionIds.Contains(g.SessionId))
            .Select(g => g.AuthorizationId).Distinct().ToListAsync(CancellationToken.None);
        var revoked = 0;
        foreach (var authorizationId in authorizationIds)
        {
            if (await authorizations.FindByIdAsync(authorizationId, CancellationToken.None) is { } authorization
                && await authorizations.HasStatusAsync(authorization, Statuses.Valid, CancellationToken.None))
            {
                await RevokeAuthorizationAsync(authorizationId);
                revoked++;
            }
        }

        return revoked;
    }

    /// <summary>Ends the session behind the current cookie (if any) and clears the cookie.</summary>
    /// <param name="initiatingClientId">The portal that asked for the logout (RP-initiated logout); it is not sent a logout token.</param>
    public async Task SignOutAsync(HttpContext http, string reason, string? initiatingClientId = null)
    {
        var result = await http.AuthenticateAsync(Scheme);
        var resolved = await ResolveAsync(result.Principal, http.RequestAborted);
        if (resolved is { } current)
        {
            await EndAsync(current.Session, reason, initiatingClientId: initiatingClientId, cancellationToken: http.RequestAborted);
        }

        await http.SignOutAsync(Scheme);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Session {SessionId} started for identity {PersonId} at {Acr}.")]
    private static partial void LogSessionStarted(ILogger logger, string sessionId, Guid personId, string acr);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Session {SessionId} ended: {Reason}.")]
    private static partial void LogSessionEnded(ILogger logger, string sessionId, string reason);
}
