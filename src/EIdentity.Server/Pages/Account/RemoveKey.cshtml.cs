using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Identities;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Pages.Account;

/// <summary>Confirms removing a key; the last usable key needs an explicit "I understand".</summary>
[Authorize]
internal sealed class RemoveKeyModel(SessionService sessions, PasskeyKeyring keyring, IOptions<PasskeyOptions> options, TimeProvider time) : PageModel
{
    /// <summary>The last sign-in is too old to change keys: the page asks for a new one.</summary>
    public bool SignInAgain { get; private set; }

    public string SignInAgainUrl => "/account/login?returnUrl=" + Uri.EscapeDataString($"/account/keys/remove?id={Key?.CredentialId}");

    public PasskeyView? Key { get; private set; }

    public bool IsLastUsableKey { get; private set; }

    public bool ConfirmationMissing { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? id)
    {
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return Challenge();
        }

        SignInAgain = !options.Value.IsRecentEnoughForKeyChanges(current.Session.AuthenticatedAt, time.GetUtcNow());
        return await ShowAsync(current.Person, id) ? Page() : NotFound();
    }

    public async Task<IActionResult> OnPostAsync(string? id, bool confirmLast)
    {
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return Challenge();
        }

        if (!options.Value.IsRecentEnoughForKeyChanges(current.Session.AuthenticatedAt, time.GetUtcNow()))
        {
            SignInAgain = true;
            if (!await ShowAsync(current.Person, id))
            {
                return NotFound();
            }

            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        switch (await keyring.RemoveAsync(current.Person, id ?? "", confirmLast, CancellationToken.None))
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
