using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace EIdentity.Server.Pages.Account;

/// <summary>
/// GET: asks the citizen to confirm a portal's logout request that could not prove it speaks for
/// this session (no or foreign id_token_hint); the form goes back to the end-session endpoint.
/// POST: signs out from EIdentity's own pages.
/// </summary>
public sealed class LogoutModel : PageModel
{
    private static readonly HashSet<string> Allowed =
        ["id_token_hint", "post_logout_redirect_uri", "state", "client_id", "ui_locales", "logout_hint"];

    public IReadOnlyList<(string Name, string Value)> ProtocolParameters { get; private set; } = [];

    public void OnGet()
    {
        ProtocolParameters = [.. Request.Query
            .Where(p => Allowed.Contains(p.Key))
            .SelectMany(p => p.Value.Select(v => (p.Key, v ?? "")))];
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.RequestServices.GetRequiredService<SessionService>().SignOutAsync(HttpContext, "logout");
        return RedirectToPage("/Account/SignedOut");
    }
}
