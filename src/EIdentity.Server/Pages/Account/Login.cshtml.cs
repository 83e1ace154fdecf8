using EIdentity.Server.Hosting;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace EIdentity.Server.Pages.Account;

public sealed class LoginModel : PageModel
{
    public string ReturnUrl { get; private set; } = "/";

    public void OnGet(string? returnUrl) => ReturnUrl = LocalUrl.OrHome(returnUrl);
}
