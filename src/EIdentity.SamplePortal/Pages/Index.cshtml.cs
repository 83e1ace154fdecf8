using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace EIdentity.SamplePortal.Pages;

internal sealed class IndexModel(IOptions<PortalOptions> portal) : PageModel
{
    public string PortalName => portal.Value.DisplayName;

    /// <summary>The signed-in person's name, or null when nobody is signed in.</summary>
    public string? DisplayName { get; private set; }

    public bool SignedOutLocallyOnly { get; private set; }

    public void OnGet([FromQuery] string? signedOut)
    {
        SignedOutLocallyOnly = signedOut == "local";
        if (User.Identity?.IsAuthenticated == true)
        {
            DisplayName = PersonName.Of(User);
        }
    }
}
