using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OpenIddict.Server.AspNetCore;

namespace EIdentity.Server.Pages;

/// <summary>
/// The readable error page: unhandled exceptions (never a stack trace), status codes, and OAuth
/// errors that cannot be returned to a portal (e.g. an unknown client or redirect_uri).
/// </summary>
[IgnoreAntiforgeryToken]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
public sealed class ErrorModel : PageModel
{
    public string TitleKey { get; private set; } = "Error.Title";

    public string MessageKey { get; private set; } = "Error.Unexpected";

    public string? ProtocolError { get; private set; }

    public string? ProtocolDescription { get; private set; }

    public void OnGet(int? code) => Describe(code);

    public void OnPost(int? code) => Describe(code);

    private void Describe(int? code)
    {
        var response = HttpContext.GetOpenIddictServerResponse();
        if (response is not null && !string.IsNullOrEmpty(response.Error))
        {
            TitleKey = "Error.Protocol.Title";
            MessageKey = "Error.Protocol";
            ProtocolError = response.Error;
            ProtocolDescription = response.ErrorDescription;
            return;
        }

        (TitleKey, MessageKey) = code switch
        {
            404 => ("Error.NotFound.Title", "Error.NotFound"),
            400 => ("Error.Title", "Error.BadRequest"),
            429 => ("Error.Title", "Error.TooMany"),
            _ => ("Error.Title", "Error.Unexpected"),
        };
    }
}
