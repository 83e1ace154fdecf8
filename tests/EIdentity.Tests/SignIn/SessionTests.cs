using System.Net;
using System.Text.RegularExpressions;
using EIdentity.Server.Sessions;
using EIdentity.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using static EIdentity.Tests.SignIn.SignInSteps;

namespace EIdentity.Tests.SignIn;

public sealed partial class SessionTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly EIdentityServerFactory _server = shared.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Account_page_sends_a_visitor_who_is_not_signed_in_to_the_login_page()
    {
        using var browser = _server.NewBrowser();

        var response = await browser.GetAsync("/account", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login", response.Headers.Location!.AbsolutePath);
        Assert.Contains("returnUrl=%2Faccount", response.Headers.Location.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_out_from_the_account_page_ends_the_session()
    {
        var (citizen, personId, _) = await _server.ActivatedCitizenAsync("Lâm Quốc Việt");
        using var _ = citizen;
        Assert.Equal("Lâm Quốc Việt", await SignedInNameAsync(citizen.Browser));

        var signedOut = await PostSignOutFormAsync(citizen.Browser);

        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal("/account/signed-out", signedOut.Headers.Location!.OriginalString);
        var page = await citizen.Browser.GetAsync("/account/signed-out", Ct);
        Assert.Contains("Bạn đã đăng xuất", await page.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Null(await SignedInNameAsync(citizen.Browser));
        var sessions = await SessionsOfAsync(personId);
        var session = Assert.Single(sessions);
        Assert.NotNull(session.EndedAt);
        Assert.Equal("logout", session.EndReason);
    }

    [Fact]
    public async Task Copied_session_cookie_stops_working_once_the_citizen_signs_out()
    {
        var (_, code) = await _server.CreateCitizenAsync(NewNationalId(), "Tạ Thị Ngọc");
        using var citizen = new Citizen(_server);
        var enrolled = await citizen.EnrolAsync(code);
        await Expect.Status(HttpStatusCode.OK, enrolled);
        var cookie = enrolled.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(SessionCookie + "=", StringComparison.Ordinal)).Split(';')[0];
        using var copy = _server.CreateClient(new WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri(EIdentityServerFactory.Origin),
            AllowAutoRedirect = false,
            HandleCookies = false,
        });
        copy.DefaultRequestHeaders.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync("/account", Ct)).StatusCode);

        await PostSignOutFormAsync(citizen.Browser);

        var afterwards = await copy.GetAsync("/account", Ct);
        Assert.Equal(HttpStatusCode.Redirect, afterwards.StatusCode);
        Assert.Equal("/account/login", afterwards.Headers.Location!.AbsolutePath);
    }

    [Fact]
    public async Task Sign_out_posted_without_the_page_token_is_refused_and_the_session_continues()
    {
        var (citizen, personId, _) = await _server.ActivatedCitizenAsync("Quách Văn Lợi");
        using var _ = citizen;

        var forged = await citizen.Browser.PostAsync("/account/logout", new FormUrlEncodedContent([]), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal("Quách Văn Lợi", await SignedInNameAsync(citizen.Browser));
        Assert.Null(Assert.Single(await SessionsOfAsync(personId)).EndedAt);
    }

    [Fact]
    public async Task Signing_in_again_in_the_same_browser_replaces_the_earlier_session()
    {
        var (citizen, personId, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;

        await Expect.Status(HttpStatusCode.OK, await citizen.SignInAsync());

        var sessions = await SessionsOfAsync(personId);
        Assert.Equal(2, sessions.Count);
        Assert.Single(sessions, s => s.EndedAt is null);
        Assert.Single(sessions, s => s.EndReason == "replaced");
    }

    [Fact]
    public async Task Activating_another_identity_in_a_signed_in_browser_ends_the_earlier_session()
    {
        var (citizen, firstPersonId, _) = await _server.ActivatedCitizenAsync("Người Thứ Nhất");
        using var _ = citizen;
        var (secondPersonId, code) = await _server.CreateCitizenAsync(NewNationalId(), "Người Thứ Hai");
        using var secondKey = new SoftwareAuthenticator(EIdentityServerFactory.Origin);

        await Expect.Status(HttpStatusCode.OK, await EnrolAsync(citizen.Browser, secondKey, code));

        Assert.Equal("Người Thứ Hai", await SignedInNameAsync(citizen.Browser));
        Assert.Single(await SessionsOfAsync(secondPersonId), s => s.EndedAt is null);
        var earlier = Assert.Single(await SessionsOfAsync(firstPersonId));
        Assert.NotNull(earlier.EndedAt);
    }

    [Fact]
    public async Task Session_records_the_key_and_the_substantial_assurance_level_shown_on_the_account_page()
    {
        var (citizen, personId, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;

        var session = Assert.Single(await SessionsOfAsync(personId));
        var html = await (await citizen.Browser.GetAsync("/account", Ct)).Content.ReadAsStringAsync(Ct);

        Assert.Equal(citizen.Key.CredentialIds.Single(), session.CredentialId);
        Assert.Equal(AuthenticationMethods.LoaSubstantial, session.Acr);
        Assert.Matches("id=\"session-level\">Đáng kể<", html);
    }

    private static async Task<HttpResponseMessage> PostSignOutFormAsync(HttpClient browser)
    {
        var account = await browser.GetAsync("/account", Ct);
        await Expect.Status(HttpStatusCode.OK, account);
        var html = await account.Content.ReadAsStringAsync(Ct);
        var form = SignOutForm().Match(html);
        Assert.True(form.Success, "The account page has no sign-out form with a token: " + html);
        return await browser.PostAsync(WebUtility.HtmlDecode(form.Groups["action"].Value), new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", form.Groups["token"].Value),
        ]), Ct);
    }

    private async Task<List<SsoSession>> SessionsOfAsync(Guid personId)
    {
        List<SsoSession> sessions = [];
        await _server.InDatabaseAsync(async db => sessions = await db.SsoSessions.AsNoTracking().Where(s => s.PersonId == personId).ToListAsync(Ct));
        return sessions;
    }

    [GeneratedRegex(""""<form[^>]*action="(?<action>[^"]*logout[^"]*)"[^>]*>(?:(?!</form>).)*?name="__RequestVerificationToken" type="hidden" value="(?<token>[^"]+)"""", RegexOptions.Singleline)]
    private static partial Regex SignOutForm();
}
