using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace EIdentity.SamplePortal.Pages;

/// <summary>
/// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). POST only, with antiforgery, so a
/// third-party page cannot sign the citizen out; GET shows the confirmation form.
/// </summary>
[AllowAnonymous]
internal sealed class SignOutModel(IOptions<PortalOptions> portal, ILogger<SignOutModel> logger) : PageModel
{
    public IActionResult OnGet() =>
        User.Identity?.IsAuthenticated == true ? Page() : LocalRedirect("/");

    public async Task<IActionResult> OnPostAsync()
    {
        if (User.Identity?.IsAuthenticated != true)
        {
            return LocalRedirect("/");
        }

        await HttpContext.SignOutAsync(PortalAuthentication.CookieScheme);
        try
        {
            // RP-Initiated Logout 1.0 section 2: the handler sends the saved id_token as id_token_hint
            // and returns through /signout-callback-oidc to SignedOutRedirectUri.
            await HttpContext.SignOutAsync(PortalAuthentication.OidcScheme);
            return new EmptyResult();
        }
        catch (Exception exception) when (exception is InvalidOperationException or HttpRequestException)
        {
            logger.ProviderSignOutFailed(portal.Value.Authority, exception);
            return RedirectToPage("/Index", new { signedOut = "local" });
        }
    }
}
