using System.Net;
using EIdentity.Tests.Infrastructure;
using static EIdentity.Tests.SignIn.SignInSteps;

namespace EIdentity.Tests.SignIn;

public sealed class PageTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly EIdentityServerFactory _server = shared.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Login_page_is_in_Vietnamese_with_a_labelled_national_id_field()
    {
        using var browser = _server.NewBrowser();

        var html = await PageAsync(browser, "/account/login");

        Assert.Contains("<html lang=\"vi\">", html, StringComparison.Ordinal);
        Assert.Contains("<h1>Đăng nhập</h1>", html, StringComparison.Ordinal);
        Assert.Contains("<label for=\"national-id\">Số căn cước công dân (CCCD)</label>", html, StringComparison.Ordinal);
        Assert.Contains("<input id=\"national-id\"", html, StringComparison.Ordinal);
        Assert.Contains("Đăng nhập bằng khóa", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_page_is_in_English_when_asked_with_culture_en()
    {
        using var browser = _server.NewBrowser();

        var html = await PageAsync(browser, "/account/login?culture=en");

        Assert.Contains("<html lang=\"en\">", html, StringComparison.Ordinal);
        Assert.Contains("<h1>Sign in</h1>", html, StringComparison.Ordinal);
        Assert.Contains("<label for=\"national-id\">Citizen identity card number (CCCD)</label>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Language_chosen_with_the_switch_stays_for_the_next_pages()
    {
        using var browser = _server.NewBrowser();

        var switched = await browser.GetAsync("/language/en?returnUrl=%2Factivate", Ct);

        Assert.Equal(HttpStatusCode.Redirect, switched.StatusCode);
        Assert.Equal("/activate", switched.Headers.Location!.OriginalString);
        var html = await PageAsync(browser, "/account/login");
        Assert.Contains("<html lang=\"en\">", html, StringComparison.Ordinal);
        Assert.Contains("<h1>Sign in</h1>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Language_switch_never_sends_the_browser_to_another_site()
    {
        using var browser = _server.NewBrowser();

        var switched = await browser.GetAsync("/language/en?returnUrl=https%3A%2F%2Fevil.example%2F", Ct);

        Assert.Equal(HttpStatusCode.Redirect, switched.StatusCode);
        Assert.Equal("/", switched.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Login_page_keeps_a_local_return_address_and_drops_a_foreign_one()
    {
        using var browser = _server.NewBrowser();

        var local = await PageAsync(browser, "/account/login?returnUrl=%2Faccount");
        var foreign = await PageAsync(browser, "/account/login?returnUrl=https%3A%2F%2Fevil.example%2F");

        Assert.Contains("data-return-url=\"/account\"", local, StringComparison.Ordinal);
        Assert.Contains("data-return-url=\"/\"", foreign, StringComparison.Ordinal);
        Assert.DoesNotContain("data-return-url=\"https", foreign, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Activation_page_explains_the_steps_and_offers_the_enrol_button()
    {
        using var browser = _server.NewBrowser();

        var html = await PageAsync(browser, "/activate");

        Assert.Contains("<h1>Kích hoạt định danh điện tử</h1>", html, StringComparison.Ordinal);
        Assert.Contains("Đăng ký khóa bảo mật</button>", html, StringComparison.Ordinal);
        Assert.Contains("data-mode=\"activate\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/no-such-page")]
    [InlineData("/account/no-such-page")]
    public async Task Unknown_address_shows_a_readable_not_found_page(string path)
    {
        using var browser = _server.NewBrowser();

        var response = await browser.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<html lang=\"vi\">", html, StringComparison.Ordinal);
        Assert.Contains("<h1>Không tìm thấy trang</h1>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_forbid_framing_by_other_sites()
    {
        using var browser = _server.NewBrowser();

        var response = await browser.GetAsync("/account/login", Ct);

        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    private static async Task<string> PageAsync(HttpClient browser, string path)
    {
        var response = await browser.GetAsync(path, Ct);
        await Expect.Status(HttpStatusCode.OK, response);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync(Ct);
    }
}
