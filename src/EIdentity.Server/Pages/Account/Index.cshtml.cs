using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Identities;
using EIdentity.Server.SelfService;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace EIdentity.Server.Pages.Account;

[Authorize]
internal sealed class AccountModel(SessionService sessions, PasskeyKeyring keyring, CitizenCertificates certificates) : PageModel
{
    public string FullName { get; private set; } = "";

    public string MaskedNationalId { get; private set; } = "";

    public string Acr { get; private set; } = "";

    public IReadOnlyList<PasskeyView> Passkeys { get; private set; } = [];

    public IReadOnlyList<CertificateView> Certificates { get; private set; } = [];

    /// <summary>A resource key for the outcome of the last change (renamed, removed...).</summary>
    [TempData]
    public string? Message { get; set; }

    public bool MessageIsError { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (await LoadAsync() is not { } person)
        {
            return Challenge();
        }

        Passkeys = await keyring.ListAsync(person, HttpContext.RequestAborted);
        Certificates = await certificates.ListAsync(person.Id, HttpContext.RequestAborted);
        return Page();
    }

    public async Task<IActionResult> OnPostRenameAsync(string? credentialId, string? name)
    {
        if (await LoadAsync() is not { } person)
        {
            return Challenge();
        }

        var change = await keyring.RenameAsync(person, credentialId ?? "", name);
        if (change == KeyringChange.Done)
        {
            Message = "Account.Key.Renamed";
            return RedirectToPage();
        }

        Message = change == KeyringChange.InvalidName ? "Account.Key.InvalidName" : "Account.Key.NotFound";
        MessageIsError = true;
        Passkeys = await keyring.ListAsync(person, HttpContext.RequestAborted);
        Certificates = await certificates.ListAsync(person.Id, HttpContext.RequestAborted);
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    private async Task<Person?> LoadAsync()
    {
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return null;
        }

        var (session, person) = current;
        FullName = person.FullName;
        MaskedNationalId = person.NationalId.Masked;
        Acr = session.Acr;
        return person;
    }
}
