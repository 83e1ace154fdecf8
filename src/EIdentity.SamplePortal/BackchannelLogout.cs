using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace EIdentity.SamplePortal;

/// <summary>
/// The receiving end of OpenID Connect Back-Channel Logout 1.0: the identity provider POSTs a signed
/// logout token to <c>/backchannel-logout</c> when an SSO session this portal took part in ends; the
/// portal validates it (section 2.6), remembers the session as ended (section 2.7) and the cookie
/// check refuses that session on its next request.
/// </summary>
internal static class BackchannelLogout
{
    public const string Path = "/backchannel-logout";

    public static WebApplicationBuilder AddBackchannelLogout(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LoggedOutSessions>();
        builder.Services.AddSingleton<LogoutTokenValidator>();
        return builder;
    }

    public static IEndpointRouteBuilder MapBackchannelLogout(this IEndpointRouteBuilder app)
    {
        // Server to server: no cookie and no antiforgery token; the signed logout token is the proof.
        app.MapPost(Path, ReceiveAsync).DisableAntiforgery().AllowAnonymous();
        return app;
    }

    /// <summary>The cookie handler's OnValidatePrincipal: a session the provider logged out ends here too.</summary>
    public static async Task RejectLoggedOutSessionAsync(CookieValidatePrincipalContext context)
    {
        var loggedOut = context.HttpContext.RequestServices.GetRequiredService<LoggedOutSessions>();
        if (context.Principal is { } principal && loggedOut.Contains(principal, context.Properties.IssuedUtc))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(PortalAuthentication.CookieScheme);
        }
    }

    private static async Task<IResult> ReceiveAsync(
        HttpContext http, LogoutTokenValidator validator, LoggedOutSessions loggedOut, ILogger<LogoutTokenValidator> logger)
    {
        // Section 2.8: the answer must not be cached.
        http.Response.Headers.CacheControl = "no-cache, no-store";
        http.Response.Headers.Pragma = "no-cache";

        // Section 2.5: one logout_token parameter, form-encoded.
        string? token = null;
        if (http.Request.HasFormContentType)
        {
            try
            {
                var form = await http.Request.ReadFormAsync(http.RequestAborted);
                token = form["logout_token"] is { Count: 1 } values ? values[0] : null;
            }
            catch (InvalidDataException)
            {
                // An oversized or malformed body: answered as a missing token.
            }
        }

        LogoutTokenValidation result;
        try
        {
            result = await validator.ValidateAsync(token, http.RequestAborted);
        }
        catch (InvalidOperationException exception)
        {
            // The provider's discovery document or keys could not be read: not the token's fault, and
            // not a 200 either. The provider retries.
            logger.LogoutKeysUnavailable(exception);
            return Error(StatusCodes.Status503ServiceUnavailable, "temporarily_unavailable", "The identity provider's signing keys could not be read.");
        }

        if (!result.IsValid)
        {
            logger.LogoutTokenRejected(result.Error);
            return Error(StatusCodes.Status400BadRequest, "invalid_request", result.Error);
        }

        loggedOut.Add(result.SessionId, result.Subject);
        logger.SessionLoggedOut(result.SessionId ?? "(every session of the subject)");
        return Results.Ok();
    }

    private static IResult Error(int status, string error, string description) =>
        Results.Json(new Dictionary<string, string> { ["error"] = error, ["error_description"] = description }, statusCode: status);
}

/// <param name="SessionId">The provider's <c>sid</c>, when the token names one.</param>
/// <param name="Subject">The <c>sub</c>, when the token names one.</param>
/// <param name="Error">Why the token was refused (for the 400 answer and the log), or null.</param>
internal sealed record LogoutTokenValidation(string? SessionId, string? Subject, string? Error)
{
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsValid => Error is null;

    public static LogoutTokenValidation Refused(string error) => new(null, null, error);
}

/// <summary>
/// Validates logout tokens against the provider's discovery document and keys, as the OpenID
/// Connect handler validates ID tokens (same configuration manager, so a key rotation at the provider
/// is picked up for both).
/// </summary>
internal sealed class LogoutTokenValidator(
    IOptionsMonitor<OpenIdConnectOptions> oidc,
    IOptions<PortalOptions> portal,
    TimeProvider time)
{
    public const string EventType = "http://schemas.openid.net/event/backchannel-logout";

    /// <summary>Section 2.4: logout tokens are explicitly typed; an ID token or access token is refused by its type.</summary>
    public const string TokenType = "logout+jwt";

    /// <summary>
    /// A token issued longer ago than this is refused whatever its exp says (OIDC Core 3.1.3.7 step 10,
    /// which section 2.6 applies to iat). It also bounds how long a jti must be remembered.
    /// </summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    private readonly JsonWebTokenHandler _handler = new();

    // jti -> when it may be forgotten. In memory: a portal running several nodes keeps it in its
    // shared cache, or accepts that a replay only repeats a logout (section 2.7 actions are idempotent).
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);

    /// <exception cref="InvalidOperationException">The provider's configuration could not be read.</exception>
    public async Task<LogoutTokenValidation> ValidateAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return LogoutTokenValidation.Refused("The request carries no logout_token.");
        }

        var manager = oidc.Get(PortalAuthentication.OidcScheme).ConfigurationManager
            ?? throw new InvalidOperationException("The OpenID Connect handler has no configuration manager.");

        // Section 2.6 steps 2-3: signature, iss, aud, iat (and exp) as for an ID token.
        var result = await _handler.ValidateTokenAsync(token, Parameters(await manager.GetConfigurationAsync(cancellationToken)));
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // Signed with a key newer than the cached discovery: the provider may have rotated keys.
            manager.RequestRefresh();
            result = await _handler.ValidateTokenAsync(token, Parameters(await manager.GetConfigurationAsync(cancellationToken)));
        }

        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return LogoutTokenValidation.Refused(Describe(result.Exception));
        }

        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(jwt.EncodedPayload));
        var claims = payload.RootElement;
        var now = time.GetUtcNow();

        if (!claims.TryGetProperty("iat", out var iatValue) || !iatValue.TryGetInt64(out var iatSeconds))
        {
            return LogoutTokenValidation.Refused("The logout token has no iat.");
        }

        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(iatSeconds);
        if (issuedAt > now + ClockSkew || issuedAt < now - MaxAge - ClockSkew)
        {
            return LogoutTokenValidation.Refused("The logout token's iat is too far from the current time.");
        }

        // Step 5: the events claim declares the JWT a logout token.
        if (!claims.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Object
            || !events.TryGetProperty(EventType, out var logoutEvent) || logoutEvent.ValueKind != JsonValueKind.Object)
        {
            return LogoutTokenValidation.Refused($"The logout token's events claim does not hold the {EventType} event.");
        }

        // Step 6: a nonce would make it usable as an ID token in a forged authentication response.
        if (claims.TryGetProperty("nonce", out _))
        {
            return LogoutTokenValidation.Refused("The logout token carries a nonce.");
        }

        // Step 4: sid, sub, or both.
        var sid = StringClaim(claims, "sid");
        var sub = StringClaim(claims, "sub");
        if (sid is null && sub is null)
        {
            return LogoutTokenValidation.Refused("The logout token names neither a session (sid) nor a subject (sub).");
        }

        // Step 7: the same jti twice is a replay (the provider signs a fresh one for every attempt).
        if (StringClaim(claims, "jti") is not { } jti)
        {
            return LogoutTokenValidation.Refused("The logout token has no jti.");
        }

        Forget(now);
        if (!_seen.TryAdd(jti, issuedAt + MaxAge + ClockSkew + ClockSkew))
        {
            return LogoutTokenValidation.Refused("This logout token was received before (jti replayed).");
        }

        return new(sid, sub, null);
    }

    private TokenValidationParameters Parameters(OpenIdConnectConfiguration configuration) => new()
    {
        ValidIssuer = configuration.Issuer,
        ValidAudience = portal.Value.ClientId,
        IssuerSigningKeys = configuration.SigningKeys,
        // The algorithms the provider signs ID tokens with; never "none" (signatures are required).
        ValidAlgorithms = configuration.IdTokenSigningAlgValuesSupported.Count > 0 ? configuration.IdTokenSigningAlgValuesSupported : null,
        RequireSignedTokens = true,
        ValidTypes = [TokenType, "application/" + TokenType],
        ValidateLifetime = true,
        // The final spec requires exp; checked against the portal's clock (TimeProvider), not DateTime.UtcNow.
        LifetimeValidator = (notBefore, expires, _, _) =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            return expires is { } exp && now <= exp.ToUniversalTime() + ClockSkew
                && (notBefore is not { } nbf || nbf.ToUniversalTime() <= now + ClockSkew);
        },
    };

    private static string? StringClaim(JsonElement claims, string name) =>
        claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : null;

    private void Forget(DateTimeOffset now)
    {
        foreach (var (jti, forgetAt) in _seen)
        {
            if (forgetAt < now)
            {
                _seen.TryRemove(jti, out _);
            }
        }
    }

    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenInvalidAudienceException => "The logout token is addressed to another portal (aud).",
        SecurityTokenInvalidIssuerException => "The logout token comes from another issuer (iss).",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException
            => "The logout token's signature does not verify with the identity provider's keys.",
        SecurityTokenInvalidAlgorithmException => "The logout token is signed with an algorithm the identity provider does not use.",
        SecurityTokenInvalidTypeException => $"The token is not typed {TokenType}.",
        SecurityTokenInvalidLifetimeException => "The logout token has expired, has no exp, or is not valid yet.",
        SecurityTokenMalformedException or ArgumentException => "The logout_token is not a JWT.",
        _ => "The logout token is not valid.",
    };
}

/// <summary>
/// Sessions the identity provider has logged out, by <c>sid</c> (or every session of a <c>sub</c>,
/// section 2.7). In memory, which is enough for this sample on one node; a portal on several nodes
/// keeps this in its shared cache or database so that every node refuses the session.
/// </summary>
internal sealed class LoggedOutSessions(TimeProvider time)
{
    // A logged-out session is refused on its next request; one that makes no request idles out
    // within the cookie's idle timeout. Remembering it a little longer than that is enough.
    private static readonly TimeSpan Retention = PortalAuthentication.IdleTimeout + TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _subjects = new(StringComparer.Ordinal);

    public void Add(string? sessionId, string? subject)
    {
        var now = time.GetUtcNow();
        Forget(now);
        if (sessionId is not null)
        {
            _sessions[sessionId] = now;
        }
        else if (subject is not null)
        {
            // No sid: every session of this subject that began before now ends.
            _subjects[subject] = now;
        }
    }

    public bool Contains(string sessionId) => _sessions.ContainsKey(sessionId);

    /// <summary>Whether the cookie session of <paramref name="principal"/>, signed in at <paramref name="issuedUtc"/>, was logged out.</summary>
    public bool Contains(ClaimsPrincipal principal, DateTimeOffset? issuedUtc) =>
        (principal.FindFirst("sid")?.Value is { } sid && _sessions.ContainsKey(sid))
        || (principal.FindFirst("sub")?.Value is { } sub && _subjects.TryGetValue(sub, out var at) && (issuedUtc is null || issuedUtc <= at));

    private void Forget(DateTimeOffset now)
    {
        foreach (var map in new[] { _sessions, _subjects })
        {
            foreach (var (key, at) in map)
            {
                if (now - at > Retention)
                {
                    map.TryRemove(key, out _);
                }
            }
        }
    }
}
