using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Hosting;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Pages.Account;

internal sealed class LoginModel(IOptions<CertificateOptions> certificates) : PageModel
{
    /// <summary>Whether certificate sign-in through the mutual-TLS listener is offered.</summary>
    public bool CertificateSignIn => certificates.Value.IsEnabled && !string.IsNullOrWhiteSpace(certificates.Value.MutualTls.Url);

    /// <summary>Whether the signed-challenge path (USB-token signing plugins) is offered.</summary>
    public bool SignedChallenge => certificates.Value.IsEnabled;

    public string ReturnUrl { get; private set; } = "/";

    /// <summary>Whether the portal waiting for this sign-in asked for the high level (a step-up).</summary>
    public bool HighLevelRequested { get; private set; }

    public void OnGet(string? returnUrl)
    {
        ReturnUrl = LocalUrl.OrHome(returnUrl);
        var query = ReturnUrl.IndexOf('?', StringComparison.Ordinal) is var at and >= 0 ? ReturnUrl[at..] : "";
        HighLevelRequested = QueryHelpers.ParseQuery(query).TryGetValue("acr_values", out var acr)
            && acr.ToString().Split(' ').Contains(AuthenticationMethods.LoaHigh, StringComparer.Ordinal);
    }
}
