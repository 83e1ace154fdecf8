using System.Net;
using System.Text.RegularExpressions;
using EIdentity.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace EIdentity.Tests.Oidc;

/// <summary>
/// The consent page as the citizen's browser sees it: what it says, and its form (the authorization
/// request's parameters, the sealed ticket and the antiforgery token), answered as a click would.
/// </summary>
internal sealed partial class ConsentScreen
{
    private ConsentScreen(string url, string html, List<KeyValuePair<string, string>> fields)
    {
        Url = url;
        Html = html;
        Fields = fields;
    }

    public string Url { get; }

    public string Html { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; }

    /// <summary>The text of the list of data the page asks about (the <c>consent-items</c> list).</summary>
    public string AskedItems => ItemList().Match(Html) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups["items"].Value) : "";

    public string? Ticket => Fields.FirstOrDefault(f => f.Key == "eid_consent_ticket").Value;

    public static bool IsShownBy(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.Redirect
        && response.Headers.Location?.OriginalString.StartsWith("/account/consent?", StringComparison.Ordinal) == true;

    /// <summary>Follows the authorization endpoint's redirect to the consent page and reads it.</summary>
    public static async Task<ConsentScreen> OpenAsync(Citizen citizen, HttpResponseMessage redirect)
    {
        Assert.True(IsShownBy(redirect), $"Expected the consent page, got {(int)redirect.StatusCode} {redirect.Headers.Location}");
        var url = redirect.Headers.Location!.OriginalString;
        var page = await citizen.Browser.GetAsync(new Uri(url, UriKind.Relative));
        await Expect.Status(HttpStatusCode.OK, page);
        var html = await page.Content.ReadAsStringAsync();
        var form = Form().Match(html);
        Assert.True(form.Success, "The consent page has no form posting to /connect/authorize: " + html);
        var fields = Input().Matches(form.Groups["body"].Value)
            .Select(input => (Name: Attribute(input.Value, "name"), Type: Attribute(input.Value, "type"), Value: Attribute(input.Value, "value")))
            .Where(input => input.Type == "hidden" && input.Name is not null)
            .Select(input => new KeyValuePair<string, string>(input.Name!, input.Value ?? ""))
            .ToList();
        return new ConsentScreen(url, html, fields);
    }

    /// <summary>Clicks Approve (<c>approve</c>) or Deny (<c>deny</c>): the form posts to the authorization endpoint.</summary>
    public Task<HttpResponseMessage> AnswerAsync(Citizen citizen, string answer) =>
        PostAsync(citizen, [.. Fields, new("eid_consent", answer)]);

    /// <summary>Posts the form with fields of the test's choosing (a tampered answer).</summary>
    public static Task<HttpResponseMessage> PostAsync(Citizen citizen, IEnumerable<KeyValuePair<string, string>> fields) =>
        citizen.Browser.PostAsync("/connect/authorize", new FormUrlEncodedContent(fields));

    /// <summary>The ticket-less parameters of the consent page's URL (the authorization request itself).</summary>
    public IDictionary<string, string> RequestParameters =>
        QueryHelpers.ParseQuery(Url[Url.IndexOf('?', StringComparison.Ordinal)..])
            .Where(p => p.Key != "eid_consent_ticket")
            .ToDictionary(p => p.Key, p => p.Value.ToString());

    private static string? Attribute(string tag, string name) =>
        Regex.Match(tag, $"""\s{name}="(?<value>[^"]*)" """.Trim()) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups["value"].Value) : null;

    [GeneratedRegex("""<form[^>]*action="/connect/authorize"[^>]*>(?<body>.*?)</form>""", RegexOptions.Singleline)]
    private static partial Regex Form();

    [GeneratedRegex("<input[^>]*>")]
    private static partial Regex Input();

    [GeneratedRegex("""<dl[^>]*id="consent-items"[^>]*>(?<items>.*?)</dl>""", RegexOptions.Singleline)]
    private static partial Regex ItemList();
}
