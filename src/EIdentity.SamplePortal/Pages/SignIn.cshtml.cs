using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace EIdentity.SamplePortal.Pages;

/// <summary>
/// Starts the OpenID Connect flow. The cookie scheme's LoginPath points here, so [Authorize] pages
/// arrive with a returnUrl.
/// </summary>
[AllowAnonymous]
internal sealed class SignInModel(IOptions<PortalOptions> portal, ILogger<SignInModel> logger) : PageModel
{
    public async Task<IActionResult> OnGetAsync([FromQuery] string? returnUrl)
    {
        var target = Url.IsLocalUrl(returnUrl) ? returnUrl : "/";
        if (User.Identity?.IsAuthenticated == true)
        {
            return LocalRedirect(target);
        }

        try
        {
            // Challenging here rather than returning a ChallengeResult keeps the failure in this
            // handler: the handler fetches discovery and pushes the request (PAR) before redirecting.
            await HttpContext.ChallengeAsync(
                PortalAuthentication.OidcScheme, new AuthenticationProperties { RedirectUri = target });
            return new EmptyResult();
        }
        catch (Exception exception) when (exception is InvalidOperationException or HttpRequestException)
        {
            logger.SignInCouldNotStart(portal.Value.Authority, exception);
            return RedirectToPage("/SignInFailed", new { error = SignInErrors.IdpUnreachable, returnUrl = target });
        }
        catch (OpenIdConnectProtocolException exception)
        {
            // RFC 9126 2.3: the PAR endpoint answered with an OAuth error.
            logger.SignInCouldNotStart(portal.Value.Authority, exception);
            var error = SignInErrors.Normalize(exception.Data["error"] as string);
            return RedirectToPage("/SignInFailed", new { error, returnUrl = target });
        }
    }
}
