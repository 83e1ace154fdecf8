using System.Buffers.Text;
using System.Security.Claims;
using System.Security.Cryptography;
using EIdentity.Server.Identities;
using EIdentity.Server.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Sessions;

/// <param name="OrganizationId">The organization the person acts for (a certificate naming both), if any.</param>
internal sealed record SignInEvidence(string CredentialId, string Acr, IReadOnlyList<string> Amr, Guid? OrganizationId = null);

/// <summary>Starts, checks and ends SSO sessions.</summary>
internal sealed partial class SessionService(
    EIdentityDbContext db,
    TimeProvider time,
    IOptions<SessionOptions> options,
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
            await EndAsync(session, "idle_timeout", cancellationToken);
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

    public async Task EndAsync(SsoSession session, string reason, CancellationToken cancellationToken = default)
    {
        _resolved = null;
        if (session.EndedAt is not null)
        {
            return;
        }

        session.EndedAt = time.GetUtcNow();
        session.EndReason = reason;
        await db.SaveChangesAsync(cancellationToken);
        LogSessionEnded(logger, session.Id, reason);
    }

    /// <summary>Ends the session behind the current cookie (if any) and clears the cookie.</summary>
    public async Task SignOutAsync(HttpContext http, string reason)
    {
        var result = await http.AuthenticateAsync(Scheme);
        var resolved = await ResolveAsync(result.Principal, http.RequestAborted);
        if (resolved is { } current)
        {
            await EndAsync(current.Session, reason, http.RequestAborted);
        }

        await http.SignOutAsync(Scheme);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Session {SessionId} started for identity {PersonId} at {Acr}.")]
    private static partial void LogSessionStarted(ILogger logger, string sessionId, Guid personId, string acr);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Session {SessionId} ended: {Reason}.")]
    private static partial void LogSessionEnded(ILogger logger, string sessionId, string reason);
}
