using EIdentity.Server.Identities;
using EIdentity.Server.SelfService;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace EIdentity.Server.Pages.Account;

/// <summary>The citizen's live sessions: end one, or every one but this.</summary>
[Authorize]
internal sealed class SessionsModel(SessionService sessions, CitizenSessions own) : PageModel
{
    public IReadOnlyList<CitizenSession> Sessions { get; private set; } = [];

    /// <summary>A resource key for the outcome of the last action.</summary>
    [TempData]
    public string? Message { get; set; }

    public bool MessageIsError { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return Challenge();
        }

        await ShowAsync(current.Person, current.Session.Id);
        return Page();
    }

    public async Task<IActionResult> OnPostEndAsync(string? id)
    {
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return Challenge();
        }

        switch (await own.EndAsync(current.Person.Id, id ?? "", current.Session.Id))
        {
            case SessionEnding.Ended:
                Message = "SelfService.Sessions.Ended";
                return RedirectToPage();
            case SessionEnding.Current:
                return await RefuseAsync(current.Person, current.Session.Id, StatusCodes.Status400BadRequest, "SelfService.Sessions.IsCurrent");
            default:
                return await RefuseAsync(current.Person, current.Session.Id, StatusCodes.Status404NotFound, "SelfService.Sessions.NotFound");
        }
    }

    public async Task<IActionResult> OnPostEndOthersAsync()
    {
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return Challenge();
        }

        var ended = await own.EndOthersAsync(current.Person.Id, current.Session.Id);
        Message = ended > 0 ? "SelfService.Sessions.EndedOthers" : "SelfService.Sessions.NoOthers";
        return RedirectToPage();
    }

    private async Task<IActionResult> RefuseAsync(Person person, string currentSessionId, int status, string message)
    {
        Message = message;
        MessageIsError = true;
        await ShowAsync(person, currentSessionId);
        Response.StatusCode = status;
        return Page();
    }

    private async Task ShowAsync(Person person, string currentSessionId) =>
        Sessions = await own.ListAsync(person, currentSessionId, HttpContext.RequestAborted);
}
