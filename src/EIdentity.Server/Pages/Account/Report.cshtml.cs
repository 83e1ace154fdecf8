using EIdentity.Server.Localization;
using EIdentity.Server.SelfService;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace EIdentity.Server.Pages.Account;

/// <summary>
/// "This wasn't me": confirms, then ends every session of the citizen (this one too) with what
/// they granted, flags the sign-in in the audit log, and sends the citizen to sign in again.
/// </summary>
[Authorize]
internal sealed class ReportModel(SessionService sessions, ActivityHistory history, IStringLocalizer<SharedResource> text) : PageModel
{
    public ActivityLine? Line { get; private set; }

    public async Task<IActionResult> OnGetAsync(long? seq)
    {
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return Challenge();
        }

        if (seq is not { } sequence || await history.FindAsync(current.Person.Id, sequence, HttpContext.RequestAborted) is not { IsSignIn: true } row)
        {
            return NotFound();
        }

        Line = ActivityText.Describe(row, text);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long? seq)
    {
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return Challenge();
        }

        var (outcome, _) = seq is { } sequence
            ? await history.ReportAsync(current.Person.Id, sequence, current.Session.Id)
            : (ReportOutcome.NotFound, 0);
        if (outcome != ReportOutcome.Reported)
        {
            return NotFound();
        }

        // The session row has ended with the others; the cookie goes too.
        await HttpContext.SignOutAsync(SessionService.Scheme);
        return RedirectToPage("/Account/Reported");
    }
}
