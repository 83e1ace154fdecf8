using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Hosting;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace EIdentity.Server.Pages.Account;

/// <summary>What happened to a certificate sign-in, and what the citizen can do about it.</summary>
internal sealed class CertificateRefusedModel : PageModel
{
    public string Reason { get; private set; } = nameof(CertificateRefusal.Untrusted);

    public string ReturnUrl { get; private set; } = "/";

    public void OnGet(string? reason, string? returnUrl)
    {
        ReturnUrl = LocalUrl.OrHome(returnUrl);
        // Only known reasons name a text; anything else reads as "not trusted".
        Reason = reason == "expired" ? reason
            : Enum.TryParse<CertificateRefusal>(reason, ignoreCase: false, out var refusal) && Enum.IsDefined(refusal) && refusal != CertificateRefusal.None
                ? refusal.ToString()
                : nameof(CertificateRefusal.Untrusted);
    }
}
