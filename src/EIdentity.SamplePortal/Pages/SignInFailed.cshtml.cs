using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace EIdentity.SamplePortal.Pages;

[AllowAnonymous]
internal sealed class SignInFailedModel : PageModel
{
    public string Code { get; private set; } = SignInErrors.SignInFailed;

    public string Message { get; private set; } = "";

    public string RetryUrl { get; private set; } = PortalAuthentication.SignInPath;

    public void OnGet([FromQuery] string? error, [FromQuery] string? returnUrl)
    {
        Code = SignInErrors.Normalize(error);
        Message = SignInErrors.Describe(Code);
        if (Url.IsLocalUrl(returnUrl) && returnUrl != "/")
        {
            RetryUrl = Url.Page("/SignIn", new { returnUrl }) ?? PortalAuthentication.SignInPath;
        }
    }
}
