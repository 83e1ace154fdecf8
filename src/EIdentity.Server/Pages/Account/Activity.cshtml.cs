using EIdentity.Server.Localization;
using EIdentity.Server.SelfService;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace EIdentity.Server.Pages.Account;

/// <summary>The citizen's activity history, newest first, with "this wasn't me" on each sign-in.</summary>
[Authorize]
internal sealed class ActivityModel(SessionService sessions, ActivityHistory history, IStringLocalizer<SharedResource> text) : PageModel
{
    public IReadOnlyList<ActivityLine> Lines { get; private set; } = [];

    public int PageNumber { get; private set; } = 1;

    public bool HasOlder { get; private set; }

    public async Task<IActionResult> OnGetAsync([FromQuery(Name = "page")] int? pageNumber)
    {
        if (await sessions.ResolveAsync(User, HttpContext.RequestAborted) is not { } current)
        {
            return Challenge();
        }

        var page = await history.ListAsync(current.Person.Id, pageNumber ?? 1, HttpContext.RequestAborted);
        Lines = [.. page.Events.Select(e => ActivityText.Describe(e, text))];
        PageNumber = page.Page;
        HasOlder = page.HasMore;
        return Page();
    }
}
