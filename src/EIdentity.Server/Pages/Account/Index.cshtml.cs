using EIdentity.Server.Identities;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace EIdentity.Server.Pages.Account;

public sealed record PasskeySummary(string Name, DateTimeOffset CreatedAt);

[Authorize]
public sealed class AccountModel : PageModel
{
    public string FullName { get; private set; } = "";

    public string MaskedNationalId { get; private set; } = "";

    public string Acr { get; private set; } = "";

    public IReadOnlyList<PasskeySummary> Passkeys { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync()
    {
        var sessions = HttpContext.RequestServices.GetRequiredService<SessionService>();
        var users = HttpContext.RequestServices.GetRequiredService<UserManager<Person>>();
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return Challenge();
        }

        var (session, person) = current;
        FullName = person.FullName;
        MaskedNationalId = person.NationalId.Masked;
        Acr = session.Acr;
        Passkeys = [.. (await users.GetPasskeysAsync(person)).OrderBy(p => p.CreatedAt).Select(p => new PasskeySummary(p.Name ?? "", p.CreatedAt))];
        return Page();
    }
}
