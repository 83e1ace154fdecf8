using System.Globalization;
using EIdentity.Server.Oidc;
using EIdentity.Server.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EIdentity.Server.Pages.Account;

/// <summary>
/// Asks the citizen whether a portal may receive personal data. The authorization endpoint sends
/// the browser here with the request's own parameters and a sealed ticket naming the portal and
/// the data; the answer (with an antiforgery token) is posted back to the authorization endpoint,
/// which checks the ticket again and resumes the request.
/// </summary>
internal sealed class ConsentModel(SessionService sessions, PortalConsent consent, PortalRegistry portals) : PageModel
{
    public string PortalName { get; private set; } = "";

    /// <summary>The data this answer is about, as resource keys of labels with the citizen's own values.</summary>
    public IReadOnlyList<(string Label, string Value)> Asked { get; private set; } = [];

    /// <summary>Data the citizen let the portal receive earlier (resource keys of labels).</summary>
    public IReadOnlyList<string> AlreadyShared { get; private set; } = [];

    public bool ShowsNationalId { get; private set; }

    /// <summary>The authorization request's parameters and the ticket, sent back with the answer.</summary>
    public IReadOnlyList<(string Name, string Value)> Fields { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync()
    {
        var parameters = Request.Query.Where(p => !PortalConsent.IsOwnField(p.Key)).ToList();
        var current = await sessions.ResolveAsync(User, HttpContext.RequestAborted);
        var sealedTicket = Request.Query[PortalConsent.TicketField].ToString();
        var ticket = current is null ? null : consent.Open(sealedTicket, current.Value.Session.Id);
        var portal = ticket is null ? null : await portals.FindAsync(ticket.ClientId, HttpContext.RequestAborted);
        if (current is not { } signedIn || ticket is null || portal is null)
        {
            // Signed out since, another session, or the ticket expired: the request starts again
            // (signing in if needed) and, if consent is still needed, comes back with a new ticket.
            return Redirect("/connect/authorize" + QueryString.Create(parameters));
        }

        var person = signedIn.Person;
        PortalName = portal.DisplayName;
        Asked = [.. ticket.Asked.SelectMany(scope => Items(scope, person))];
        AlreadyShared = [.. ticket.Scopes.Except(ticket.Asked).SelectMany(scope => Items(scope, person)).Select(item => item.Label)];
        ShowsNationalId = ticket.Asked.Contains(OidcScopes.NationalId);
        Fields = [.. parameters.SelectMany(p => p.Value.Select(v => (p.Key, v ?? ""))), (PortalConsent.TicketField, sealedTicket)];
        return Page();
    }

    private static IEnumerable<(string Label, string Value)> Items(string scope, Identities.Person person) => scope switch
    {
        Scopes.Profile =>
        [
            ("Consent.Item.FullName", person.FullName),
            ("Consent.Item.BirthDate", person.BirthDate.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture)),
        ],
        // The portal receives the full number; the page shows only enough to recognise it.
        OidcScopes.NationalId => [("Consent.Item.NationalId", person.NationalId.Masked)],
        _ => [],
    };
}
