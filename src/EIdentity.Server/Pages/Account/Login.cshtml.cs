using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Hosting;
using EIdentity.Server.Oidc;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace EIdentity.Server.Pages.Account;

internal sealed class LoginModel(IOptions<CertificateOptions> certificates, PortalRegistry portals) : PageModel
{
    /// <summary>Whether certificate sign-in through the mutual-TLS listener is offered.</summary>
    public bool CertificateSignIn => certificates.Value.IsEnabled && !string.IsNullOrWhiteSpace(certificates.Value.MutualTls.Url);

    /// <summary>Whether the signed-challenge path (USB-token signing plugins) is offered.</summary>
    public bool SignedChallenge => certificates.Value.IsEnabled;

    public string ReturnUrl { get; private set; } = "/";

    /// <summary>Whether the portal waiting for this sign-in asked for the high level (a step-up).</summary>
    public bool HighLevelRequested { get; private set; }

    public async Task OnGetAsync(string? returnUrl)
    {
        ReturnUrl = LocalUrl.OrHome(returnUrl);
        var query = ReturnUrl.IndexOf('?', StringComparison.Ordinal) is var at and >= 0 ? ReturnUrl[at..] : "";
        var waiting = new OpenIddictRequest(QueryHelpers.ParseQuery(query));
        // acr_values, an essential acr in the claims parameter, or the portal's registered minimum.
        var minimum = string.IsNullOrEmpty(waiting.ClientId) ? null : (await portals.FindAsync(waiting.ClientId, HttpContext.RequestAborted))?.MinimumAcr;
        HighLevelRequested = ClaimsParameter.TryReadAcr(waiting, out _)
            && AssuranceRequirement.For(waiting, minimum).Level == AuthenticationMethods.LoaHigh;
    }
}
