using System.Globalization;
using System.Security.Claims;
using EIdentity.Server.Audit;
using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Identities;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EIdentity.Server.Oidc;

/// <summary>
/// The OpenID Connect endpoints OpenIddict passes through to us after validating the request:
/// authorization, token, userinfo and end-session. Discovery, JWKS, PAR, introspection and
/// revocation are answered by OpenIddict itself.
/// </summary>
internal static class OidcEndpoints
{
    private const string ReauthCookie = "eid.reauth";
    private const string StepUpCookie = "eid.stepup";

    public static IEndpointRouteBuilder MapOidcEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], AuthorizeAsync).DisableAntiforgery();
        app.MapPost("/connect/token", TokenAsync).DisableAntiforgery();
        app.MapMethods("/connect/userinfo", [HttpMethods.Get, HttpMethods.Post], UserInfoAsync).DisableAntiforgery();
        app.MapMethods("/connect/endsession", [HttpMethods.Get, HttpMethods.Post], EndSessionAsync).DisableAntiforgery();
        return app;
    }

    private static async Task<IResult> AuthorizeAsync(
        HttpContext http, SessionService sessions, SignInClaims claims, TimeProvider time, PasskeyKeyring keyring,
        PortalRegistry portals, PortalConsent consent,
        IOpenIddictApplicationManager applications, IOpenIddictAuthorizationManager authorizations,
        IOptions<OpenIddictServerOptions> serverOptions, AuditLog audit)
    {
        var request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("OpenIddict did not validate this authorization request.");
        var clientId = request.ClientId!;
        var portal = await portals.FindAsync(clientId, http.RequestAborted)
            ?? throw new InvalidOperationException("OpenIddict validated a request from an unknown client.");

        var cookie = await http.AuthenticateAsync(SessionService.Scheme);
        var current = cookie.Succeeded ? await sessions.ResolveAsync(cookie.Principal, http.RequestAborted) : null;
        var now = time.GetUtcNow();
        // An answer from the consent page: the ticket it carries was issued to this very session
        // once the request had passed the sign-in checks below, so they are not asked again.
        var answer = current is null ? null : await consent.ReadAnswerAsync(http, current.Value.Session.Id, clientId);

        if (current is null || (answer is null && MustAuthenticateAgain(http, request, current.Value.Session, now)))
        {
            // OIDC Core 3.1.2.1: prompt=none must never show a page.
            if (request.HasPromptValue(PromptValues.None))
            {
                return Forbid(Errors.LoginRequired, "The citizen is not signed in.");
            }

            if (request.HasPromptValue(PromptValues.Login) || request.MaxAge is not null)
            {
                NoteAskedAt(http, ReauthCookie, now);
            }

            return ChallengeToSignIn(http);
        }

        http.Response.Cookies.Delete(ReauthCookie, new CookieOptions { Path = "/connect" });
        var (session, person) = current.Value;

        // Never issue a lower level than the portal needs (acr_values, an essential acr claim, its
        // registered minimum; OIDC Core 3.1.2.1, 5.5.1.1).
        var requirement = AssuranceRequirement.For(request, portal.MinimumAcr);
        if (!requirement.IsSatisfiedBy(session.Acr))
        {
            // Step up once: when the citizen holds a key that reaches the level, ask for it; if the
            // sign-in that followed still fell short, tell the portal rather than ask forever.
            var askedAt = AskedAt(http, StepUpCookie);
            var canStepUp = requirement is { Level: { } level, Unreachable: false }
                && !request.HasPromptValue(PromptValues.None)
                && (askedAt is null || session.AuthenticatedAt.ToUnixTimeMilliseconds() < askedAt)
                && await keyring.HasActiveKeyReachingAsync(person.Id, [level], http.RequestAborted);
            if (canStepUp)
            {
                NoteAskedAt(http, StepUpCookie, now);
                return ChallengeToSignIn(http);
            }

            http.Response.Cookies.Delete(StepUpCookie, new CookieOptions { Path = "/connect" });
            return Forbid("unmet_authentication_requirements",
                "The requested authentication level cannot be reached with this credential.");
        }

        http.Response.Cookies.Delete(StepUpCookie, new CookieOptions { Path = "/connect" });

        var application = await applications.FindByClientIdAsync(clientId, http.RequestAborted)
            ?? throw new InvalidOperationException("OpenIddict validated a request from an unknown client.");
        var applicationId = (await applications.GetIdAsync(application, http.RequestAborted))!;

        // Personal data goes to a portal that is not first-party only with the citizen's consent.
        var personalData = PortalConsent.PersonalData(request.GetScopes());
        if (!portal.FirstParty && personalData.Count > 0)
        {
            var remembered = await consent.RememberedAsync(person.Id, applicationId, http.RequestAborted);
            var decided = answer is { } given && given.Ticket.Scopes.Order(StringComparer.Ordinal).SequenceEqual(personalData.Order(StringComparer.Ordinal))
                ? given.Answer
                : (ConsentAnswer?)null;
            if (decided == ConsentAnswer.Deny)
            {
                await consent.RecordDeniedAsync(person.Id, clientId, personalData);
                return Forbid(Errors.AccessDenied, "The citizen declined to share the requested data with this portal.");
            }

            var missing = personalData.Where(scope => !remembered.Contains(scope)).ToList();
            if (decided == ConsentAnswer.Approve)
            {
                if (missing.Count > 0)
                {
                    await consent.GrantAsync(person.Id, applicationId, clientId, personalData, http.RequestAborted);
                }
            }
            else if (missing.Count > 0 || request.HasPromptValue(PromptValues.Consent))
            {
                // OIDC Core 3.1.2.6: prompt=none cannot show the consent page.
                if (request.HasPromptValue(PromptValues.None))
                {
                    return Forbid(Errors.ConsentRequired, "The citizen has not agreed to share this data with this portal.");
                }

                var asked = missing.Count > 0 ? missing : personalData;
                return AskForConsent(http, consent.Seal(session.Id, clientId, personalData, asked));
            }
        }

        var identity = await claims.ForPersonAsync(person, session, clientId, request.GetScopes(), http.RequestAborted);

        // The grant's authorization names the person by internal id (the token's sub is pairwise):
        // userinfo reads personal data through it, and suspending a person revokes all of them.
        var authorization = await authorizations.CreateAsync(
            principal: new ClaimsPrincipal(identity),
            subject: person.Id.ToString(),
            client: applicationId,
            type: AuthorizationTypes.AdHoc,
            scopes: identity.GetScopes(),
            cancellationToken: http.RequestAborted);
        var authorizationId = (await authorizations.GetIdAsync(authorization, http.RequestAborted))!;
        identity.SetAuthorizationId(authorizationId);
        // The portal now takes part in the session: it is told when the session ends, and a security
        // cascade revokes this authorization with its tokens.
        var issuer = serverOptions.Value.Issuer?.AbsoluteUri
            ?? new Uri($"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/").AbsoluteUri;
        await sessions.RecordGrantAsync(session, clientId, authorizationId, issuer, http.RequestAborted);
        await audit.RecordAsync(new AuditEntry("portal.signin", "citizen", person.Id, clientId, SessionService.Describe(session)), CancellationToken.None);
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static bool MustAuthenticateAgain(HttpContext http, OpenIddictRequest request, SsoSession session, DateTimeOffset now)
    {
        var wantsFreshSignIn = request.HasPromptValue(PromptValues.Login);
        var tooOld = request.MaxAge is { } maxAge && now - session.AuthenticatedAt > TimeSpan.FromSeconds(maxAge);
        if (!wantsFreshSignIn && !tooOld)
        {
            return false;
        }

        // OIDC Core 3.1.2.1 prompt=login / max_age: satisfied by a sign-in that happened after the
        // portal asked (the time was noted in the re-authentication cookie when the citizen was sent
        // to sign in), however short ago — max_age=0 included.
        var signedInAfterAsking = AskedAt(http, ReauthCookie) is { } askedAt
            && session.AuthenticatedAt.ToUnixTimeMilliseconds() >= askedAt;
        return !signedInAfterAsking;
    }

    private static IResult ChallengeToSignIn(HttpContext http) =>
        Results.Challenge(new AuthenticationProperties
        {
            RedirectUri = http.Request.PathBase + http.Request.Path + QueryString.Create(ProtocolParameters(http)),
        }, [SessionService.Scheme]);

    // The consent page shows the sealed ticket and posts the answer back here with the request's
    // own parameters (with PAR: client_id and request_uri), so the request is resumed as it came.
    private static IResult AskForConsent(HttpContext http, string ticket) =>
        Results.Redirect(http.Request.PathBase + "/account/consent"
            + QueryString.Create(ProtocolParameters(http).Append(new(PortalConsent.TicketField, ticket))));

    // The authorization request's own parameters, without the fields the consent round trip adds.
    private static List<KeyValuePair<string, StringValues>> ProtocolParameters(HttpContext http) =>
        [.. (http.Request.HasFormContentType ? http.Request.Form.AsEnumerable() : http.Request.Query).Where(p => !PortalConsent.IsOwnField(p.Key))];

    // When the citizen was sent to sign in for this request, in Unix milliseconds (a short-lived cookie on /connect).
    private static void NoteAskedAt(HttpContext http, string cookie, DateTimeOffset now) =>
        http.Response.Cookies.Append(cookie, now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), new CookieOptions
        {
            HttpOnly = true, Secure = true, SameSite = SameSiteMode.Lax, MaxAge = TimeSpan.FromMinutes(15), Path = "/connect",
        });

    private static long? AskedAt(HttpContext http, string cookie) =>
        long.TryParse(http.Request.Cookies[cookie], NumberStyles.None, CultureInfo.InvariantCulture, out var askedAt) ? askedAt : null;

    private static async Task<IResult> TokenAsync(HttpContext http, EIdentityDbContext db, CertificateBlockList blocks)
    {
        var request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("OpenIddict did not validate this token request.");

        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var principal = result.Principal
                ?? throw new InvalidOperationException("OpenIddict validated the grant but returned no principal.");

            var person = Guid.TryParse(principal.GetClaim(OidcClaims.PersonId), out var personId)
                ? await db.Users.AsNoTracking().SingleOrDefaultAsync(p => p.Id == personId, http.RequestAborted)
                : null;
            if (person is null || !person.IsActive)
            {
                return Forbid(Errors.InvalidGrant, "The electronic identity behind this grant is no longer active.");
            }

            // A grant lives no longer than the credential it was signed in with (revoked, suspended,
            // downgraded away; a certificate blocked by a security officer).
            if (principal.GetClaim(OidcClaims.CredentialId) is { } credentialId
                && (CredentialReferences.IsCertificate(credentialId, out var thumbprint)
                    ? await blocks.IsCredentialBlockedAsync(thumbprint, http.RequestAborted)
                    : await db.PasskeyCredentials.AsNoTracking().AnyAsync(c => c.CredentialId == credentialId && c.Status != PasskeyStatus.Active, http.RequestAborted)))
            {
                return Forbid(Errors.InvalidGrant, "The credential this grant was signed in with has been withdrawn.");
            }

            var identity = new ClaimsIdentity(principal.Claims, "EIdentity", Claims.Name, Claims.Role);
            SignInClaims.Refresh(identity, person);
            return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        if (request.IsClientCredentialsGrantType())
        {
            // The portal acts for itself: sub is its client id (RFC 9068 2.2).
            var identity = new ClaimsIdentity("EIdentity", Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, request.ClientId);
            identity.SetAudiences(request.ClientId!);
            identity.SetScopes(request.GetScopes().Where(s => s is not (Scopes.OpenId or Scopes.OfflineAccess)));
            identity.SetDestinations(_ => [Destinations.AccessToken]);
            return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        return Forbid(Errors.UnsupportedGrantType, "This grant type is not supported.");
    }

    private static async Task<IResult> UserInfoAsync(HttpContext http, EIdentityDbContext db, IOpenIddictAuthorizationManager authorizations)
    {
        var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var principal = result.Principal;
        if (principal is null)
        {
            return Results.Challenge(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [Claims.Subject] = principal.GetClaim(Claims.Subject)!,
        };

        // The access token carries no personal data; read it fresh through the grant's authorization.
        var person = await FindPersonAsync(principal, db, authorizations, http.RequestAborted);
        if (person is not null)
        {
            if (!person.IsActive)
            {
                return Results.Challenge(new AuthenticationProperties(new Dictionary<string, string?>
                {
                    [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidToken,
                    [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "The electronic identity is no longer active.",
                }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
            }

            if (principal.HasScope(Scopes.Profile))
            {
                claims[Claims.Name] = person.FullName;
                claims[Claims.Birthdate] = person.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            }

            if (principal.HasScope(OidcScopes.NationalId))
            {
                claims[OidcClaims.NationalId] = person.NationalId.Value;
            }
        }

        return Results.Ok(claims);
    }

    private static async Task<Person?> FindPersonAsync(ClaimsPrincipal principal, EIdentityDbContext db, IOpenIddictAuthorizationManager authorizations, CancellationToken cancellationToken)
    {
        var authorizationId = principal.GetAuthorizationId();
        if (authorizationId is null || await authorizations.FindByIdAsync(authorizationId, cancellationToken) is not { } authorization)
        {
            return null;
        }

        var subject = await authorizations.GetSubjectAsync(authorization, cancellationToken);
        return Guid.TryParse(subject, out var personId)
            ? await db.Users.AsNoTracking().SingleOrDefaultAsync(p => p.Id == personId, cancellationToken)
            : null;
    }

    private static async Task<IResult> EndSessionAsync(HttpContext http, SessionService sessions, IAntiforgery antiforgery)
    {
        var request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("OpenIddict did not validate this end-session request.");

        var cookie = await http.AuthenticateAsync(SessionService.Scheme);
        var current = cookie.Succeeded ? await sessions.ResolveAsync(cookie.Principal, http.RequestAborted) : null;

        if (current is not null)
        {
            // OpenIddict has validated id_token_hint; it names the session it was issued in.
            var hint = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var hintedSession = hint.Principal?.GetClaim("sid");
            var confirmed = http.Request.HasFormContentType
                && http.Request.Form.ContainsKey("confirm")
                && await antiforgery.IsRequestValidAsync(http);

            // OIDC RP-Initiated Logout 1.0 section 2: without proof that the portal speaks for this
            // session, ask the citizen before ending it.
            if (hintedSession != current.Value.Session.Id && !confirmed)
            {
                var parameters = http.Request.HasFormContentType ? http.Request.Form.ToList() : http.Request.Query.ToList();
                return Results.Redirect("/account/logout" + QueryString.Create(parameters.Where(p => p.Key != "confirm")));
            }

            // The portal that asked for the logout knows already; every other portal is told by back channel.
            var initiator = hint.Principal?.GetPresenters().FirstOrDefault() ?? request.ClientId;
            await sessions.SignOutAsync(http, "logout", initiator);
        }
        else
        {
            await http.SignOutAsync(SessionService.Scheme);
        }

        // OpenIddict redirects to the validated post_logout_redirect_uri, or to our page.
        return Results.SignOut(new AuthenticationProperties { RedirectUri = "/account/signed-out" },
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    private static IResult Forbid(string error, string description) =>
        Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
