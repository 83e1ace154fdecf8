using EIdentity.Server.Oidc;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace EIdentity.Server.Pages.Account;

/// <summary>Confirms withdrawing a portal's access: its grants and tokens are revoked, the next sign-in there asks again.</summary>
[Authorize]
internal sealed class WithdrawPortalModel(SessionService sessions, ConnectedPortals connected, PortalRegistry registry) : PageModel
{
    public PortalAccess? Access { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? id)
    {
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return Challenge();
        }

        Access = (await PortalsModel.ListAsync(connected, registry, current.Person.Id, HttpContext.RequestAborted))
            .FirstOrDefault(p => p.Portal.ClientId == id);
        return Access is null ? NotFound() : Page();
    }

    public async Task<IActionResult> OnPostAsync(string? id)
    {
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return Challenge();
        }

        var name = (await registry.FindAsync(id ?? "", HttpContext.RequestAborted))?.DisplayName;
        // Once asked, the withdrawal is carried out whole.
        if (name is null || !await connected.RevokeAsync(current.Person.Id, id!, "citizen", CancellationToken.None))
        {
            return NotFound();
        }

        TempData[nameof(PortalsModel.Message)] = "SelfService.Portals.Withdrawn";
        TempData[nameof(PortalsModel.MessagePortal)] = name;
        return RedirectToPage("/Account/Portals");
    }
}
