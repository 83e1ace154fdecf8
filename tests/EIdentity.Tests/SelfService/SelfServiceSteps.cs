using System.Net;
using System.Text.RegularExpressions;
using EIdentity.Server.Audit;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.SignIn;
using Microsoft.EntityFrameworkCore;
using static EIdentity.Tests.SignIn.SignInSteps;

namespace EIdentity.Tests.SelfService;

/// <summary>Browsers as the self-service pages see them (User-Agent strings and the device each one reads as).</summary>
internal static class Browsers
{
    public const string FirefoxOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
    public const string ChromeOnAndroid = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
    public const string SafariOnMac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15";
}

/// <summary>A form on a page: where it posts and the fields it carries (the antiforgery token included).</summary>
internal sealed record HtmlForm(string Action, Dictionary<string, string> Fields, string Html);

/// <summary>A person with a key, signed in from one or more browsers (each its own cookie jar and User-Agent).</summary>
internal sealed class CitizenWithBrowsers : IDisposable
{
    private readonly List<Citizen> _others = [];

    public required Citizen Citizen { get; init; }

    public required Guid PersonId { get; init; }

    public required string NationalId { get; init; }

    /// <summary>The browser the key was activated in.</summary>
    public HttpClient Browser => Citizen.Browser;

    internal void Add(Citizen browser) => _others.Add(browser);

    public void Dispose()
    {
        foreach (var browser in _others)
        {
            browser.Dispose();
        }

        Citizen.Dispose();
    }
}

internal static partial class SelfServiceSteps
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A registrar creates the person; they activate their key in a browser with <paramref name="userAgent"/>.</summary>
    public static async Task<CitizenWithBrowsers> CitizenInAsync(this EIdentityServerFactory server, string userAgent, string name = "Đỗ Minh Châu")
    {
        var nationalId = NewNationalId();
        var (personId, code) = await server.CreateCitizenAsync(nationalId, name);
        var citizen = new Citizen(server);
        citizen.Browser.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        await citizen.ActivateAsync(code);
        return new CitizenWithBrowsers { Citizen = citizen, PersonId = personId, NationalId = nationalId };
    }

    /// <summary>
    /// The same person signs in with the same key in another browser (a <see cref="Citizen"/> whose
    /// <see cref="Citizen.Browser"/> is that browser, for steps such as a portal's code flow).
    /// </summary>
    public static async Task<Citizen> SignInElsewhereAsync(this EIdentityServerFactory server, CitizenWithBrowsers person, string userAgent)
    {
        var elsewhere = new Citizen(server);
        person.Add(elsewhere);
        elsewhere.Browser.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        await Expect.Status(HttpStatusCode.OK, await SignInAsync(elsewhere.Browser, person.Citizen.Key, person.NationalId));
        return elsewhere;
    }

    /// <summary>Whether the browser still has a session (the account page answers instead of sending it to sign in).</summary>
    public static async Task<bool> IsSignedInAsync(HttpClient browser) => await SignedInNameAsync(browser) is not null;

    public static async Task<string> PageAsync(HttpClient browser, string path)
    {
        var response = await browser.GetAsync(path, Ct);
        await Expect.Status(HttpStatusCode.OK, response);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    public static IReadOnlyList<HtmlForm> Forms(string html, string pagePath) =>
        [.. FormPattern().Matches(html).Select(form =>
        {
            var action = ActionPattern().Match(form.Groups["open"].Value);
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match input in InputPattern().Matches(form.Value))
            {
                var name = NamePattern().Match(input.Value);
                if (name.Success)
                {
                    var value = ValuePattern().Match(input.Value);
                    fields[WebUtility.HtmlDecode(name.Groups[1].Value)] = value.Success ? WebUtility.HtmlDecode(value.Groups[1].Value) : "";
                }
            }

            return new HtmlForm(action.Success ? WebUtility.HtmlDecode(action.Groups[1].Value) : pagePath, fields, form.Value);
        })];

    /// <summary>Opens <paramref name="pagePath"/>, picks a form, and submits it as the browser would (with its token).</summary>
    public static async Task<HttpResponseMessage> SubmitAsync(HttpClient browser, string pagePath, Func<HtmlForm, bool> which, IDictionary<string, string>? changes = null)
    {
        var html = await PageAsync(browser, pagePath);
        var form = Forms(html, pagePath).FirstOrDefault(which)
            ?? throw new Xunit.Sdk.XunitException($"No such form on {pagePath}: {html}");
        var fields = new Dictionary<string, string>(form.Fields);
        foreach (var (name, value) in changes ?? new Dictionary<string, string>())
        {
            fields[name] = value;
        }

        return await browser.PostAsync(form.Action, new FormUrlEncodedContent(fields), Ct);
    }

    /// <summary>The session ids (data-session) listed on a sessions page, the current one first.</summary>
    public static IReadOnlyList<string> SessionIds(string sessionsPage) =>
        [.. SessionCard().Matches(sessionsPage).Select(m => m.Groups["id"].Value)];

    /// <summary>The card of one session on the sessions page.</summary>
    public static string SessionCardOf(string sessionsPage, string sessionId)
    {
        var card = SessionCard().Matches(sessionsPage).FirstOrDefault(m => m.Groups["id"].Value == sessionId);
        Assert.True(card is not null, $"Session {sessionId} is not listed: {sessionsPage}");
        return card.Value;
    }

    /// <summary>The rows of an activity page, newest first: (sequence, type, the row's HTML).</summary>
    public static IReadOnlyList<(long Sequence, string Type, string Html)> ActivityRows(string activityPage) =>
        [.. ActivityRow().Matches(activityPage).Select(m => (long.Parse(m.Groups["seq"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups["type"].Value, m.Value))];

    /// <summary>The text a person reads in a piece of HTML: tags dropped, entities decoded, spaces collapsed.</summary>
    public static string Text(string html) => Spaces().Replace(WebUtility.HtmlDecode(Tags().Replace(html, " ")), " ").Trim();

    public static async Task<List<AuditEvent>> AuditOfAsync(this EIdentityServerFactory server, Guid? personId)
    {
        List<AuditEvent> rows = [];
        await server.InDatabaseAsync(async db => rows = await db.AuditEvents.AsNoTracking()
            .Where(e => e.PersonId == personId).OrderBy(e => e.Sequence).ToListAsync(Ct));
        return rows;
    }

    [GeneratedRegex("""(?<open><form[^>]*>).*?</form>""", RegexOptions.Singleline)]
    private static partial Regex FormPattern();

    [GeneratedRegex(@"\baction=""([^""]*)""")]
    private static partial Regex ActionPattern();

    [GeneratedRegex("""<(?:input|button)\b[^>]*>""")]
    private static partial Regex InputPattern();

    [GeneratedRegex(@"\bname=""([^""]*)""")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"\bvalue=""([^""]*)""")]
    private static partial Regex ValuePattern();

    [GeneratedRegex("""<li class="card session[^"]*" data-session="(?<id>[^"]+)">.*?</li>""", RegexOptions.Singleline)]
    private static partial Regex SessionCard();

    [GeneratedRegex("""<li class="activity-row[^"]*" data-sequence="(?<seq>\d+)" data-type="(?<type>[^"]+)">.*?</li>""", RegexOptions.Singleline)]
    private static partial Regex ActivityRow();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
