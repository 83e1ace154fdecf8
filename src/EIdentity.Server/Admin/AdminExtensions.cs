using System.Security.Claims;
using EIdentity.Server.Oidc;
using Microsoft.AspNetCore.Authorization;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EIdentity.Server.Admin;

internal static class AdminExtensions
{
    /// <summary>The authorization policy of <c>/api/admin</c>: a bearer access token with the admin scope.</summary>
    public const string Policy = "eid-admin";

    public static WebApplicationBuilder AddAdmin(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy => policy
                .AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser()
                .RequireAssertion(context => IsAdminClient(context.User)));

        // An admin token revoked at /connect/revoke stops working at once, not when it expires.
        builder.Services.AddOpenIddict().AddValidation(validation => validation.EnableTokenEntryValidation());
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, AdminAuthorizationResults>();
        builder.Services.AddScoped<AdminDirectory>();
        return builder;
    }

    /// <summary>
    /// The token carries the admin scope and was issued to the client itself (client credentials:
    /// <c>sub</c> is the client id), never to a person signed in at a portal.
    /// </summary>
    private static bool IsAdminClient(ClaimsPrincipal user) =>
        user.HasScope(OidcScopes.Admin)
        && user.GetClaim(Claims.ClientId) is { Length: > 0 } clientId
        && string.Equals(user.GetClaim(Claims.Subject), clientId, StringComparison.Ordinal);

    /// <summary>The audit actor of an admin call: <c>admin:&lt;client_id&gt;</c>.</summary>
    public static string Actor(ClaimsPrincipal user) => "admin:" + user.GetClaim(Claims.ClientId);
}
