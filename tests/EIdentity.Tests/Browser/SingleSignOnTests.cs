using System.Diagnostics;
using EIdentity.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EIdentity.Tests.Browser;

/// <summary>
/// A citizen in a real browser with a security key: activation letter, sign-in at one portal,
/// single sign-on at the other, sign-out. The identity provider and the sample portals run on real
/// Kestrel on loopback; Chromium drives their pages and passkeys.js as a citizen would.
/// </summary>
public sealed class SingleSignOnTests(LoopbackDeployment deployment) : IClassFixture<LoopbackDeployment>
{
    private const string Substantial = "urn:eidentity:loa:substantial";

    static SingleSignOnTests() => SetDefaultExpectTimeout(CitizenBrowser.StepTimeoutMs);

    private string Idp => deployment.IdentityProvider.Origin;

    private PortalHost PublicServices => deployment.PublicServices;

    private PortalHost Tax => deployment.Tax;

    [Fact(Timeout = 120_000)]
    public async Task Citizen_signed_in_at_one_portal_reaches_the_second_without_using_her_key_again()
    {
        const string name = "Phạm Thị Hồng Nhung";
        var activationLink = await StartWithCitizenAsync(name, "1992-08-19");
        await using var browser = await deployment.OpenBrowserAsync(nameof(Citizen_signed_in_at_one_portal_reaches_the_second_without_using_her_key_again));

        await EnrolAsync(browser, activationLink, name);
        var subjectAtPublicServices = await SignInWithKeyAsync(browser, PublicServices, name);

        var usesBefore = browser.KeyUses;
        var counterBefore = Assert.Single(await browser.KeyCredentialsAsync()).SignCount;
        var mark = browser.Mark();
        await browser.StepAsync("single sign-on at thue-portal", async page =>
        {
            await page.GotoAsync(Tax.Origin + "/");
            await Expect(page.Locator("main h1")).ToHaveTextAsync("Thuế điện tử");
            await page.GetByRole(AriaRole.Link, new() { Name = "Đăng nhập bằng định danh điện tử" }).ClickAsync();

            // Thuế điện tử is not first-party: the first time, the citizen approves what it receives.
            await page.WaitForURLAsync(url => url.StartsWith(Idp + "/account/consent", StringComparison.Ordinal));
            await Expect(page.Locator("main p.lead")).ToContainTextAsync("Thuế điện tử");
            await Expect(page.Locator("#consent-items")).ToContainTextAsync(name);
            await page.Locator("#consent-approve").ClickAsync();
            await Expect(page.Locator("#welcome-heading")).ToHaveTextAsync($"Xin chào, {name}");
            Assert.Equal(Tax.Origin + "/", page.Url);

            var trip = browser.NavigationsSince(mark);
            Assert.True(trip.Any(n => n.Url.StartsWith(Idp + "/connect/authorize", StringComparison.Ordinal)),
                $"The sign-in at Thuế điện tử never went to the identity provider:\n{string.Join('\n', trip)}");
            Assert.False(trip.Any(n => n.Url.StartsWith(Idp + "/account/login", StringComparison.Ordinal)),
                $"The identity provider asked the signed-in citizen to sign in again:\n{string.Join('\n', trip)}");
            Assert.Equal(usesBefore, browser.KeyUses);
        });

        await browser.StepAsync("profile at thue-portal", async page =>
        {
            var subjectAtTax = await ReadProfileAsync(page, Tax, name);
            // OIDC Core 8.1: pairwise subjects; two portals cannot correlate the citizen by sub.
            Assert.NotEqual(subjectAtPublicServices, subjectAtTax);
        });

        // The key's own signature counter agrees: nothing signed since the sign-in at Dịch vụ công.
        var credential = Assert.Single(await browser.KeyCredentialsAsync());
        Assert.Equal(counterBefore, credential.SignCount);
        Assert.Equal("localhost", credential.RpId);
        Assert.True(credential.IsResident, "The passkey was not created as a discoverable credential.");
    }

    [Fact(Timeout = 120_000)]
    public async Task Signing_out_at_a_portal_ends_the_identity_provider_session()
    {
        const string name = "Lê Văn Cường";
        var activationLink = await StartWithCitizenAsync(name, "1985-01-31");
        await using var browser = await deployment.OpenBrowserAsync(nameof(Signing_out_at_a_portal_ends_the_identity_provider_session));

        await EnrolAsync(browser, activationLink, name);
        await SignInWithKeyAsync(browser, PublicServices, name);

        var mark = browser.Mark();
        await browser.StepAsync("sign out at dichvucong-portal", async page =>
        {
            await page.GotoAsync(PublicServices.Origin + "/profile");
            await page.Locator("header").GetByRole(AriaRole.Button, new() { Name = "Đăng xuất" }).ClickAsync();

            // Back on the portal's home page, signed out, without the "only signed out here" warning.
            await Expect(page.Locator("main").GetByRole(AriaRole.Link, new() { Name = "Đăng nhập bằng định danh điện tử" })).ToBeVisibleAsync();
            Assert.Equal(PublicServices.Origin + "/", page.Url);
            await Expect(page.Locator("#welcome-heading")).ToHaveCountAsync(0);

            var trip = browser.NavigationsSince(mark);
            Assert.True(trip.Any(n => n.Url.StartsWith(Idp + "/connect/endsession", StringComparison.Ordinal)),
                $"The portal signed out without telling the identity provider:\n{string.Join('\n', trip)}");
            Assert.False(trip.Any(n => n.Url.StartsWith(Idp + "/account/logout", StringComparison.Ordinal)),
                $"The identity provider did not accept the portal's id_token_hint and asked for confirmation:\n{string.Join('\n', trip)}");
        });

        await browser.StepAsync("the identity provider account asks to sign in", async page =>
        {
            await page.GotoAsync(Idp + "/account");
            await page.WaitForURLAsync(url => url.StartsWith(Idp + "/account/login", StringComparison.Ordinal));
            await Expect(page.Locator("#sign-in-discoverable")).ToBeVisibleAsync();
        });

        // Before the sign-out this would have been single sign-on; now the citizen must use her key.
        await browser.StepAsync("thue-portal now asks for the key", async page =>
        {
            await page.GotoAsync(Tax.Origin + "/signin");
            await page.WaitForURLAsync(url => url.StartsWith(Idp + "/account/login", StringComparison.Ordinal));
            await Expect(page.Locator("#sign-in-discoverable")).ToBeVisibleAsync();
        });
    }

    /// <summary>Starts the deployment (once per class) and registers a citizen; returns her activation link.</summary>
    private async Task<string> StartWithCitizenAsync(string name, string birthDate)
    {
        var chromium = Suites.ChromiumPath();
        var watch = Stopwatch.StartNew();
        await deployment.StartAsync(chromium);
        TestContext.Current.TestOutputHelper?.WriteLine($"deployment ready: {watch.ElapsedMilliseconds} ms");
        watch.Restart();
        var activationLink = await deployment.IdentityProvider.CreateCitizenAsync(LoopbackDeployment.NewNationalId(), name, birthDate);
        TestContext.Current.TestOutputHelper?.WriteLine($"citizen registered: {watch.ElapsedMilliseconds} ms");
        return activationLink;
    }

    private async Task EnrolAsync(CitizenBrowser browser, string activationLink, string name)
    {
        await browser.StepAsync("enrol from the activation link", async page =>
        {
            await page.GotoAsync(activationLink);
            await page.Locator("#enrol").ClickAsync();
            await page.WaitForURLAsync(url => url == Idp + "/account");
            await Expect(page.Locator("#person-name")).ToHaveTextAsync(name);
            Assert.Equal(1, browser.KeyUses);

            // The citizen closes the browser: its session cookies go (the identity provider's
            // session with them), the key stays. The next sign-in is a ceremony with the key.
            await page.Context.ClearCookiesAsync();
        });
    }

    /// <summary>Signs in at the portal with the key (the identity provider has no session yet) and returns the portal's sub.</summary>
    private async Task<string> SignInWithKeyAsync(CitizenBrowser browser, PortalHost portal, string name)
    {
        var subject = "";
        await browser.StepAsync($"sign in at {portal.Site.ClientId}", async page =>
        {
            await page.GotoAsync(portal.Origin + "/");
            await Expect(page.Locator("main h1")).ToHaveTextAsync(portal.Site.DisplayName);
            await page.GetByRole(AriaRole.Link, new() { Name = "Đăng nhập bằng định danh điện tử" }).ClickAsync();
            await page.WaitForURLAsync(url => url.StartsWith(Idp + "/account/login", StringComparison.Ordinal));

            var usesBefore = browser.KeyUses;
            await page.Locator("#sign-in-discoverable").ClickAsync();
            await Expect(page.Locator("#welcome-heading")).ToHaveTextAsync($"Xin chào, {name}");
            Assert.Equal(portal.Origin + "/", page.Url);
            Assert.Equal(usesBefore + 1, browser.KeyUses);

            subject = await ReadProfileAsync(page, portal, name);
        });
        return subject;
    }

    /// <summary>Checks the portal's profile page shows the citizen at the substantial level and returns its sub.</summary>
    private static async Task<string> ReadProfileAsync(IPage page, PortalHost portal, string name)
    {
        await page.GotoAsync(portal.Origin + "/profile");
        Assert.Equal(portal.Origin + "/profile", page.Url);
        await Expect(page.Locator("#summary-heading")).ToHaveTextAsync(name);
        await Expect(PortalHost.ProfileValue(page, "acr")).ToHaveTextAsync(Substantial);
        var subject = await PortalHost.ProfileValue(page, "sub").InnerTextAsync();
        Assert.False(string.IsNullOrWhiteSpace(subject), "The profile page shows no sub.");
        return subject;
    }
}
