using System.Net;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;
using EIdentity.Tests.SignIn;
using static EIdentity.Tests.SelfService.SelfServiceSteps;

namespace EIdentity.Tests.SelfService;

/// <summary>What the account pages share: their menu, their language, and who may see them.</summary>
public sealed class AccountPagesTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly EIdentityServerFactory _server = shared.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/account", "Khóa và chứng thư số")]
    [InlineData("/account/sessions", "Phiên đăng nhập")]
    [InlineData("/account/portals", "Cổng dịch vụ đã kết nối")]
    [InlineData("/account/activity", "Lịch sử hoạt động")]
    public async Task Each_account_page_has_the_menu_with_itself_marked(string path, string current)
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);

        var html = await PageAsync(person.Browser, path);

        Assert.Contains($"<a href=\"{path}\" aria-current=\"page\">{current}</a>", html, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "aria-current=\"page\""));
    }

    [Fact]
    public async Task Pages_are_in_English_after_the_language_switch()
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);
        var phone = await _server.SignInElsewhereAsync(person, Browsers.ChromeOnAndroid);
        await OidcTestKit.CodeFlowAsync(_server, person.Citizen, TestPortals.PortalA, "openid profile");

        var switched = await person.Browser.GetAsync("/language/en?returnUrl=%2Faccount%2Factivity", Ct);
        var activity = Text(await PageAsync(person.Browser, "/account/activity"));
        var sessions = Text(await PageAsync(person.Browser, "/account/sessions"));
        var portals = Text(await PageAsync(person.Browser, "/account/portals"));

        Assert.Equal("/account/activity", switched.Headers.Location!.OriginalString);
        Assert.Contains("Activity history", activity, StringComparison.Ordinal);
        Assert.Contains("Signed in to Cổng A Signed in with Security key or passkey Assurance level Substantial Device Firefox / Windows This wasn’t me", activity, StringComparison.Ordinal);
        Assert.Contains("Signed in to your electronic identity", activity, StringComparison.Ordinal);
        Assert.Contains("Times are Vietnam time (UTC+7).", activity, StringComparison.Ordinal);
        Assert.Contains("Firefox / Windows This browser", sessions, StringComparison.Ordinal);
        Assert.Contains("End all other sessions", sessions, StringComparison.Ordinal);
        Assert.Contains("Your full name and date of birth", portals, StringComparison.Ordinal);
        Assert.Contains("Withdraw access", portals, StringComparison.Ordinal);
        Assert.True(await IsSignedInAsync(phone.Browser));
    }

    [Theory]
    [InlineData("/account/sessions")]
    [InlineData("/account/portals")]
    [InlineData("/account/activity")]
    [InlineData("/account/activity/report?seq=1")]
    [InlineData("/account/portals/withdraw?id=portal-a")]
    public async Task Account_pages_send_a_visitor_who_is_not_signed_in_to_the_login_page(string path)
    {
        using var browser = _server.NewBrowser();

        var response = await browser.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login", response.Headers.Location!.AbsolutePath);
    }

    [Theory]
    [InlineData("/account/activity?page=0")]
    [InlineData("/account/activity?page=-5")]
    [InlineData("/account/activity?page=99999999999")]
    [InlineData("/account/activity?page=abc")]
    [InlineData("/account/activity/report?seq=abc")]
    [InlineData("/account/activity/report")]
    [InlineData("/account/portals/withdraw")]
    public async Task Odd_addresses_get_a_readable_page_never_a_server_error(string path)
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);

        var response = await person.Browser.GetAsync(path, Ct);

        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode}");
        Assert.Contains("<html lang=\"vi\">", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
