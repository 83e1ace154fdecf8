using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace EIdentity.Server.Admin;

/// <summary>
/// OpenIddict answers a refused admin call with the RFC 6750 status and <c>WWW-Authenticate</c>
/// header and an empty body; this adds a ProblemDetails body saying what is missing, as every other
/// admin API error has. Everything else is left to ASP.NET Core's default handler.
/// </summary>
internal sealed class AdminAuthorizationResults(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        await _default.HandleAsync(next, context, policy, authorizeResult);
        if (!(authorizeResult.Challenged || authorizeResult.Forbidden) || context.Response.HasStarted
            || !context.Request.Path.StartsWithSegments(AdminApi.Prefix))
        {
            return;
        }

        var (title, detail) = authorizeResult.Forbidden
            ? ("Admin scope required", $"This access token does not carry the '{Oidc.OidcScopes.Admin}' scope of a registered admin client.")
            : context.Request.Headers.Authorization.Count == 0
                ? ("Access token required", $"Send an access token with the '{Oidc.OidcScopes.Admin}' scope (client-credentials grant at /connect/token) as 'Authorization: Bearer <token>'.")
                : ("Invalid access token", "The access token is malformed, expired, revoked or not issued by this server; obtain a new one.");
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = context.Response.StatusCode, Title = title, Detail = detail },
        });
    }
}
