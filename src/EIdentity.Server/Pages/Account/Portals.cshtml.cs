using EIdentity.Server.Oidc;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace EIdentity.Server.Pages.Account;

/// <summary>A connected portal with how it got its access (a consent the citizen gave, or first-party registration).</summary>
internal sealed record PortalAccess(ConnectedPortal Portal, bool FirstParty);

/// <summary>The portals holding the citizen's grants and the data each receives.</summary>
[Authorize]
internal sealed class PortalsModel(SessionService sessions, ConnectedPortals connected, PortalRegistry registry) : PageModel
{
    public IReadOnlyList<PortalAccess> Portals { get; private set; } = [];

    /// <summary>A resource key for the outcome of the last withdrawal.</summary>
    [TempData]
    public string? Message { get; set; }

    /// <summary>The portal the message is about.</summary>
    [TempData]
    public string? MessagePortal { get; set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return Challenge();
        }

        Portals = await ListAsync(connected, registry, current.Person.Id, HttpContext.RequestAborted);
        return Page();
    }

    public static async Task<IReadOnlyList<PortalAccess>> ListAsync(ConnectedPortals connected, PortalRegistry registry, Guid personId, CancellationToken cancellationToken)
    {
        var portals = new List<PortalAccess>();
        foreach (var portal in await connected.ListAsync(personId, cancellationToken))
        {
            portals.Add(new(portal, (await registry.FindAsync(portal.ClientId, cancellationToken))?.FirstParty == true));
        }

        return portals;
    }
}
