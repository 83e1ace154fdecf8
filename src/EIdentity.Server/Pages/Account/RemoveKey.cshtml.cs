using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Identities;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace EIdentity.Server.Pages.Account;

/// <summary>Confirms removing a key; the last usable key needs an explicit "I understand".</summary>
[Authorize]
internal sealed class RemoveKeyModel(SessionService sessions, PasskeyKeyring keyring) : PageModel
{
    public PasskeyView? Key { get; private set; }

    public bool IsLastUsableKey { get; private set; }

    public bool ConfirmationMissing { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? id)
    {
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return Challenge();
        }

        return await ShowAsync(current.Person, id) ? Page() : NotFound();
    }

    public async Task<IActionResult> OnPostAsync(string? id, bool confirmLast)
    {
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return Challenge();
        }

        switch (await keyring.RemoveAsync(current.Person, id ?? "", confirmLast, HttpContext.RequestAborted))
        {
            case KeyringChange.Done:
                TempData[nameof(AccountModel.Message)] = "Account.Key.Removed";
                return RedirectToPage("/Account/Index");
            case KeyringChange.LastUsableKey:
                ConfirmationMissing = true;
                await ShowAsync(current.Person, id);
                Response.StatusCode = StatusCodes.Status400BadRequest;
                return Page();
            default:
                return NotFound();
        }
    }

    private async Task<bool> ShowAsync(Person person, string? id)
    {
        var keys = await keyring.ListAsync(person, HttpContext.RequestAborted);
        Key = keys.FirstOrDefault(k => k.CredentialId == id);
        IsLastUsableKey = Key is { Status: PasskeyStatus.Active } && keys.Count(k => k.Status == PasskeyStatus.Active) == 1;
        return Key is not null;
    }
}
