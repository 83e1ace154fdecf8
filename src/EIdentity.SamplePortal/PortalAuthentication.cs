using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace EIdentity.SamplePortal;

/// <summary>
/// Sign-in through the national identity provider with the standard OpenID Connect handler:
/// authorization code + PKCE, pushed authorization requests when the provider offers them,
/// tokens kept in the encrypted session cookie.
/// </summary>
internal static class PortalAuthentication
{
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string OidcScheme = OpenIdConnectDefaults.AuthenticationScheme;

    public const string SignInPath = "/signin";

    // A public-service session ends after a short idle time; the identity provider's SSO session
    // is what spares the citizen a second ceremony.
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(30);

    public static WebApplicationBuilder AddPortalAuthentication(this WebApplicationBuilder builder)
    {
        // Every challenge (including [Authorize] pages) goes through the cookie scheme to /signin,
        // the one place that starts the OIDC flow and turns an unreachable provider into a page.
        builder.Services.AddAuthentication(CookieScheme)
            .AddCookie(CookieScheme)
            .AddOpenIdConnect(OidcScheme, _ => { });

        builder.Services.AddSingleton<PortalOpenIdConnectEvents>();

        // Configured from IOptions<PortalOptions> rather than from configuration read eagerly, so a
        // test host's configuration overrides apply and invalid settings fail at ValidateOnStart.
        builder.Services.AddOptions<CookieAuthenticationOptions>(CookieScheme)
            .Configure<IOptions<PortalOptions>>((options, portal) => ConfigureCookie(options, portal.Value));
        builder.Services.AddOptions<OpenIdConnectOptions>(OidcScheme)
            .Configure<IOptions<PortalOptions>>((options, portal) => ConfigureOpenIdConnect(options, portal.Value));

        // Both sample portals run from the same content root, so by default they would share the
        // data-protection purpose and the antiforgery cookie name; separate them like two real apps.
        builder.Services.AddOptions<DataProtectionOptions>()
            .Configure<IOptions<PortalOptions>>((options, portal) =>
                options.ApplicationDiscriminator = $"EIdentity.SamplePortal/{portal.Value.CookieName}");
        builder.Services.AddOptions<AntiforgeryOptions>()
            .Configure<IOptions<PortalOptions>>((options, portal) =>
                options.Cookie.Name = $"{portal.Value.CookieName}.Antiforgery");

        return builder;
    }

    private static void ConfigureCookie(CookieAuthenticationOptions options, PortalOptions portal)
    {
        options.Cookie.Name = portal.CookieName;
        options.Cookie.SameSite = SameSiteMode.Lax;
        options.Cookie.HttpOnly = true;
        // Browsers treat http://localhost as a secure context and accept Secure cookies there.
        options.Cookie.SecurePolicy = CookieSecurePolicy.Always;
        options.LoginPath = SignInPath;
        options.ExpireTimeSpan = IdleTimeout;
        options.SlidingExpiration = true;

        // Back-channel logout: a session whose sid the identity provider has logged out ends at its next request.
        options.Events.OnValidatePrincipal = BackchannelLogout.RejectLoggedOutSessionAsync;
    }

    private static void ConfigureOpenIdConnect(OpenIdConnectOptions options, PortalOptions portal)
    {
        options.Authority = portal.Authority;
        options.RequireHttpsMetadata = portal.RequireHttpsMetadata;
        options.ClientId = portal.ClientId;
        options.ClientSecret = portal.ClientSecret;

        options.ResponseType = OpenIdConnectResponseType.Code;
        options.UsePkce = true;
        options.PushedAuthorizationBehavior = PushedAuthorizationBehavior.UseIfAvailable;

        options.Scope.Clear();
        foreach (var scope in portal.ScopeList)
        {
            options.Scope.Add(scope);
        }

        options.SignInScheme = CookieScheme;
        options.SignOutScheme = CookieScheme;
        // RP-Initiated Logout 1.0: with SaveTokens the handler sends the saved id_token as id_token_hint
        // and /signout-callback-oidc as post_logout_redirect_uri, then returns the browser here.
        options.SaveTokens = true;
        options.SignedOutRedirectUri = "/";

        options.GetClaimsFromUserInfoEndpoint = true;
        options.MapInboundClaims = false;
        options.TokenValidationParameters.NameClaimType = "name";
        options.TokenValidationParameters.RoleClaimType = "role";

        // Keep every identity claim the provider releases (the defaults keep only six userinfo claims
        // and drop acr), minus the token mechanics that mean nothing once the session exists.
        options.ClaimActions.MapAll();
        options.ClaimActions.DeleteClaims(
            "nonce", "aud", "azp", "iat", "nbf", "exp", "at_hash", "c_hash", "s_hash", "ipaddr", "platf", "ver");

        // Cookies ignore the port: two portals on localhost must not read each other's flow cookies.
        options.CorrelationCookie.Name = $"{portal.CookieName}.Correlation.";
        options.NonceCookie.Name = $"{portal.CookieName}.Nonce.";

        // No library name and version in the URLs the citizen's browser carries.
        options.DisableTelemetry = true;

        options.EventsType = typeof(PortalOpenIdConnectEvents);
    }
}

internal sealed class PortalOpenIdConnectEvents(
    IOptions<PortalOptions> portal,
    ILogger<PortalOpenIdConnectEvents> logger) : OpenIdConnectEvents
{
    public override Task RedirectToIdentityProvider(RedirectContext context)
    {
        // OIDC Core 3.1.2.1: ui_locales and acr_values; with PAR they travel in the pushed request.
        context.ProtocolMessage.UiLocales = "vi";
        var acrValues = portal.Value.AcrValueList;
        if (acrValues.Count > 0)
        {
            context.ProtocolMessage.AcrValues = string.Join(' ', acrValues);
        }

        return Task.CompletedTask;
    }

    public override Task TokenValidated(TokenValidatedContext context)
    {
        // OIDC Core 3.1.2.1: acr_values is a request, not a guarantee; the portal checks what it got.
        var required = portal.Value.AcrValueList;
        var reached = context.Principal?.FindFirst("acr")?.Value;
        if (!AssuranceLevels.Satisfies(reached, required))
        {
            logger.AssuranceLevelNotMet(reached ?? "(none)", string.Join(' ', required));
            var failure = new AuthenticationFailureException("The ID token's acr does not satisfy Portal:AcrValues.");
            failure.Data["error"] = SignInErrors.UnmetAuthenticationRequirements;
            context.Fail(failure);
        }

        return Task.CompletedTask;
    }

    public override Task RemoteFailure(RemoteFailureContext context)
    {
        // The callback failed (error response, expired correlation cookie, token or userinfo request
        // failing): show a page, never the exception.
        var error = SignInErrors.Normalize(context.Failure?.Data["error"] as string);
        logger.SignInCallbackFailed(error, context.Failure);

        var query = new Dictionary<string, string?> { ["error"] = error };
        if (context.Properties?.RedirectUri is { } returnUrl)
        {
            query["returnUrl"] = returnUrl; // the failure page uses it only when it is local
        }

        context.Response.Redirect(QueryHelpers.AddQueryString($"{context.Request.PathBase}/signin/failed", query));
        context.HandleResponse();
        return Task.CompletedTask;
    }
}
