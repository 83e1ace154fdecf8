using System.Net;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;
using EIdentity.Tests.SignIn;
using static EIdentity.Tests.SelfService.SelfServiceSteps;

namespace EIdentity.Tests.SelfService;

/// <summary>The citizen's sessions page: where they are signed in, and ending what they do not recognise.</summary>
public sealed class SessionsPageTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private const string Sessions = "/account/sessions";

    private readonly EIdentityServerFactory _server = shared.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sessions_page_shows_each_browser_with_its_device_and_portals_and_marks_this_one()
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);
        var phone = await _server.SignInElsewhereAsync(person, Browsers.ChromeOnAndroid);
        await OidcTestKit.CodeFlowAsync(_server, phone, TestPortals.PortalA);

        var page = await PageAsync(person.Browser, Sessions);

        var ids = SessionIds(page);
        Assert.Equal(2, ids.Count);
        var here = Text(SessionCardOf(page, ids[0]));
        var there = Text(SessionCardOf(page, ids[1]));
        Assert.Contains("Firefox / Windows Trình duyệt này", here, StringComparison.Ordinal);
        Assert.Contains("Đăng nhập bằng Khóa bảo mật hoặc passkey — “Khóa bảo mật 1”", here, StringComparison.Ordinal);
        Assert.Contains("Mức độ đảm bảo Đáng kể", here, StringComparison.Ordinal);
        Assert.Contains("Cổng dịch vụ đã dùng Chưa có", here, StringComparison.Ordinal);
        Assert.DoesNotContain("Kết thúc phiên này", here, StringComparison.Ordinal);
        Assert.StartsWith("Chrome / Android Đăng nhập lúc", there, StringComparison.Ordinal);
        Assert.Contains("Cổng dịch vụ đã dùng Cổng A", there, StringComparison.Ordinal);
        Assert.Contains("Kết thúc phiên này", there, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ending_the_phones_session_signs_the_phone_out_and_its_portal_loses_its_refresh_token()
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);
        var phone = await _server.SignInElsewhereAsync(person, Browsers.ChromeOnAndroid);
        var tokens = await OidcTestKit.CodeFlowAsync(_server, phone, TestPortals.PortalA, "openid offline_access");
        var phoneSession = SessionIds(await PageAsync(person.Browser, Sessions))[1];

        var ended = await SubmitAsync(person.Browser, Sessions, f => f.Fields.GetValueOrDefault("id") == phoneSession);

        Assert.Equal(HttpStatusCode.Redirect, ended.StatusCode);
        var page = await PageAsync(person.Browser, Sessions);
        Assert.Contains("Đã kết thúc phiên. Trình duyệt đó đã bị đăng xuất.", page, StringComparison.Ordinal);
        Assert.Single(SessionIds(page));
        Assert.False(await IsSignedInAsync(phone.Browser));
        Assert.True(await IsSignedInAsync(person.Browser));
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var refresh = await portal.RefreshAsync(tokens.RefreshToken);
        Assert.Equal((400, "invalid_grant"), (refresh.Status, refresh.Error));
    }

    [Fact]
    public async Task End_all_others_signs_out_every_other_browser_and_keeps_this_one()
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);
        var phone = await _server.SignInElsewhereAsync(person, Browsers.ChromeOnAndroid);
        var laptop = await _server.SignInElsewhereAsync(person, Browsers.SafariOnMac);
        Assert.Equal(3, SessionIds(await PageAsync(person.Browser, Sessions)).Count);

        var ended = await SubmitAsync(person.Browser, Sessions, f => f.Action.Contains("handler=EndOthers", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Redirect, ended.StatusCode);
        var page = await PageAsync(person.Browser, Sessions);
        Assert.Contains("Đã kết thúc tất cả phiên khác.", page, StringComparison.Ordinal);
        Assert.Single(SessionIds(page));
        Assert.DoesNotContain("Kết thúc tất cả phiên khác", page, StringComparison.Ordinal);
        Assert.False(await IsSignedInAsync(phone.Browser));
        Assert.False(await IsSignedInAsync(laptop.Browser));
        Assert.True(await IsSignedInAsync(person.Browser));
        var audit = await _server.AuditOfAsync(person.PersonId);
        Assert.Equal(2, audit.Count(e => e.Type == "session.ended_by_citizen" && e.Actor == "citizen"));
        Assert.Equal(2, audit.Count(e => e.Type == "session.ended" && e.Detail == "ended_by_citizen"));
    }

    [Fact]
    public async Task Another_persons_session_cannot_be_ended_and_stays_signed_in()
    {
        using var intruder = await _server.CitizenInAsync(Browsers.FirefoxOnWindows, "Kẻ Tò Mò");
        using var victim = await _server.CitizenInAsync(Browsers.ChromeOnAndroid, "Người Bị Nhắm");
        var victimSession = SessionIds(await PageAsync(victim.Browser, Sessions)).Single();

        var forged = await PostEndAsync(intruder.Browser, victimSession);
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
        Assert.Contains("Phiên này không nằm trong các phiên đang hoạt động của bạn", await forged.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.True(await IsSignedInAsync(victim.Browser));
        Assert.DoesNotContain(await _server.AuditOfAsync(victim.PersonId), e => e.Type.StartsWith("session.ended", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_session_in_use_is_not_ended_from_the_list_but_by_signing_out()
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);
        var current = SessionIds(await PageAsync(person.Browser, Sessions)).Single();

        var refused = await PostEndAsync(person.Browser, current);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Đây là phiên bạn đang dùng. Để kết thúc, hãy đăng xuất.", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.True(await IsSignedInAsync(person.Browser));
    }

    [Fact]
    public async Task Ending_a_session_without_the_pages_token_is_refused()
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);
        var phone = await _server.SignInElsewhereAsync(person, Browsers.ChromeOnAndroid);
        var phoneSession = SessionIds(await PageAsync(person.Browser, Sessions))[1];

        var forged = await person.Browser.PostAsync(Sessions + "?handler=End",
            new FormUrlEncodedContent([new("id", phoneSession)]), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.True(await IsSignedInAsync(phone.Browser));
    }

    [Fact]
    public async Task Sessions_page_sends_a_visitor_who_is_not_signed_in_to_the_login_page()
    {
        using var browser = _server.NewBrowser();

        var response = await browser.GetAsync(Sessions, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login", response.Headers.Location!.AbsolutePath);
    }

    /// <summary>Posts the "end" handler with the browser's own page token, naming any session id.</summary>
    private static async Task<HttpResponseMessage> PostEndAsync(HttpClient browser, string sessionId)
    {
        var token = Forms(await PageAsync(browser, "/account"), "/account")
            .Select(f => f.Fields.GetValueOrDefault("__RequestVerificationToken"))
            .First(t => t is not null)!;
        return await browser.PostAsync(Sessions + "?handler=End", new FormUrlEncodedContent(
        [
            new("id", sessionId),
            new("__RequestVerificationToken", token),
        ]), Ct);
    }
}
