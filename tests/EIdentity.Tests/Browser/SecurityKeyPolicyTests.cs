using System.Diagnostics;
using EIdentity.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EIdentity.Tests.Browser;

/// <summary>
/// The authenticator policy (docs/passkey-policy.md) as a citizen meets it in a real browser:
/// which security keys reach the high level, which cannot register, and what happens when a copy
/// of a key turns up. The identity provider trusts Chromium's virtual security key as a hardware
/// model through its allow-list (<see cref="SecurityKeyDeployment"/>).
/// </summary>
public sealed class SecurityKeyPolicyTests(SecurityKeyDeployment fixture) : IClassFixture<SecurityKeyDeployment>
{
    private const string High = "urn:eidentity:loa:high";
    private const string HighName = "Cao";
    private const string Active = "Đang dùng";
    private const string Suspended = "Tạm khóa";

    static SecurityKeyPolicyTests() => SetDefaultExpectTimeout(CitizenBrowser.StepTimeoutMs);

    private LoopbackDeployment Deployment => fixture.Loopback;

    private string Idp => Deployment.IdentityProvider.Origin;

    [Fact(Timeout = 120_000)]
    public async Task Security_key_with_direct_attestation_from_an_allowed_model_signs_in_at_high()
    {
        const string name = "Trần Quốc Bảo";
        var (_, activationLink) = await StartWithCitizenAsync(name, "1979-04-02");
        await using var browser = await Deployment.OpenBrowserAsync(nameof(Security_key_with_direct_attestation_from_an_allowed_model_signs_in_at_high));

        await browser.StepAsync("enrol the security key from the activation letter", async page =>
        {
            await EnrolAsync(page, activationLink, name);
            var key = page.Locator("li.key");
            await Expect(key).ToHaveCountAsync(1);
            await Expect(key.Locator(".key-model")).ToHaveTextAsync(SecurityKeyDeployment.ModelName);
            await Expect(key.Locator(".key-level")).ToHaveTextAsync(HighName);
            await Expect(key.Locator(".key-status")).ToHaveTextAsync(Active);
            // The activation itself was a ceremony with the attested key.
            await Expect(page.Locator("#session-level")).ToHaveTextAsync(HighName);
            await page.Context.ClearCookiesAsync();
        });

        await browser.StepAsync("sign in at dichvucong-portal with the key", async page =>
        {
            var portal = Deployment.PublicServices;
            await page.GotoAsync(portal.Origin + "/");
            await page.GetByRole(AriaRole.Link, new() { Name = "Đăng nhập bằng định danh điện tử" }).ClickAsync();
            await page.WaitForURLAsync(url => url.StartsWith(Idp + "/account/login", StringComparison.Ordinal));
            var usesBefore = browser.KeyUses;
            await page.Locator("#sign-in-discoverable").ClickAsync();
            await Expect(page.Locator("#welcome-heading")).ToHaveTextAsync($"Xin chào, {name}");
            Assert.Equal(usesBefore + 1, browser.KeyUses);
        });

        await browser.StepAsync("the portal is told the high level and a hardware key", async page =>
        {
            await page.GotoAsync(Deployment.PublicServices.Origin + "/profile");
            await Expect(page.Locator("#summary-heading")).ToHaveTextAsync(name);
            await Expect(PortalHost.ProfileValue(page, "acr")).ToHaveTextAsync(High);
            // RFC 8176: hwk, a hardware-secured key; user, verified by its PIN; mfa, both together.
            await Expect(PortalHost.ProfileMethods(page)).ToHaveTextAsync(["hwk", "user", "mfa"]);
        });
    }

    // Every ceremony requires user verification (docs/passkey-policy.md), and a FIDO U2F key has
    // no PIN or biometric: the browser refuses it before the server sees anything. WebAuthn gives
    // the page only NotAllowedError (the same as a cancel, L3 6.3.2 step 3), so the message names both.
    [Fact(Timeout = 120_000)]
    public async Task Legacy_u2f_security_key_cannot_register_and_the_citizen_is_told_to_use_another_key()
    {
        const string name = "Đỗ Thị Mai";
        var (_, activationLink) = await StartWithCitizenAsync(name, "1968-11-05");
        await using var browser = await Deployment.OpenBrowserAsync(nameof(Legacy_u2f_security_key_cannot_register_and_the_citizen_is_told_to_use_another_key), SecurityKeyKind.U2f);

        await browser.StepAsync("try to enrol a U2F key from the activation letter", async page =>
        {
            await page.GotoAsync(activationLink);
            await page.Locator("#enrol").ClickAsync();
            var status = page.Locator("#status.error");
            await Expect(status).ToContainTextAsync("khóa không hỗ trợ xác minh bằng mã PIN hay vân tay");
            await Expect(status).ToContainTextAsync("dùng một khóa khác");
            Assert.Equal(Idp + "/activate", page.Url);
            Assert.Equal(0, browser.KeyUses);
            Assert.Empty(await browser.KeyCredentialsAsync());
        });

        // The letter is not used up and nothing was stored: a FIDO2 key enrols from the same page.
        await browser.SwapKeyAsync();
        await browser.StepAsync("enrol a FIDO2 key from the same page instead", async page =>
        {
            await page.Locator("#enrol").ClickAsync();
            await page.WaitForURLAsync(Idp + "/account");
            await Expect(page.Locator("#person-name")).ToHaveTextAsync(name);
            var key = page.Locator("li.key");
            await Expect(key).ToHaveCountAsync(1);
            await Expect(key.Locator(".key-model")).ToHaveTextAsync(SecurityKeyDeployment.ModelName);
            Assert.Equal(1, browser.KeyUses);
        });
    }

    [Fact(Timeout = 180_000)]
    public async Task Cloned_security_key_is_caught_and_suspended()
    {
        const string name = "Vũ Đức Thắng";
        var (nationalId, activationLink) = await StartWithCitizenAsync(name, "1990-02-14");
        await using var browser = await Deployment.OpenBrowserAsync(nameof(Cloned_security_key_is_caught_and_suspended));

        await browser.StepAsync("enrol the security key from the activation letter", async page =>
        {
            await EnrolAsync(page, activationLink, name);
            await page.Context.ClearCookiesAsync();
        });

        for (var i = 1; i <= 2; i++)
        {
            await browser.StepAsync($"sign in with the key ({i})", async page =>
            {
                await OpenSignInAsync(page);
                await page.Locator("#sign-in-discoverable").ClickAsync();
                await page.WaitForURLAsync(Idp + "/account");
                await Expect(page.Locator("#person-name")).ToHaveTextAsync(name);
                await page.Context.ClearCookiesAsync();
            });
        }

        // Someone copied the key's private key while its counter was still low (after the
        // activation), and now signs in with the copy while the citizen's key stays at home.
        var original = await browser.ExportCredentialAsync();
        Assert.True(original.SignCount >= 3, $"The key's counter is {original.SignCount} after an activation and two sign-ins.");
        await browser.SwapKeyAsync(original, signCount: 1);

        await browser.StepAsync("the copy is refused as a cloned key", async page =>
        {
            await OpenSignInAsync(page);
            await page.Locator("#sign-in-discoverable").ClickAsync();
            await Expect(page.Locator("#status.error")).ToContainTextAsync("Đăng nhập bị từ chối: bộ đếm chữ ký của khóa bị đi lùi");
            await Expect(page.Locator("#status")).ToContainTextAsync("Khóa đã bị tạm khóa");
            Assert.StartsWith(Idp + "/account/login", page.Url, StringComparison.Ordinal);
        });

        await browser.SwapKeyAsync(original);
        await browser.StepAsync("the citizen's own key is refused too: the credential is suspended", async page =>
        {
            await OpenSignInAsync(page);
            var usesBefore = browser.KeyUses;
            await page.Locator("#sign-in-discoverable").ClickAsync();
            await Expect(page.Locator("#status.error")).ToContainTextAsync("Khóa này đang bị tạm khóa");
            // The key did sign: the refusal is the server's, not a cancelled ceremony.
            Assert.Equal(usesBefore + 1, browser.KeyUses);
            Assert.StartsWith(Idp + "/account/login", page.Url, StringComparison.Ordinal);
        });

        // Recovery path: the registrar issues a new activation letter; the citizen enrols a new key.
        var newActivationLink = await Deployment.IdentityProvider.IssueActivationAsync(nationalId);
        await browser.SwapKeyAsync();
        await browser.StepAsync("enrol a new key; the account page shows the old one suspended and why", async page =>
        {
            await EnrolAsync(page, newActivationLink, name);
            await Expect(page.Locator("li.key")).ToHaveCountAsync(2);

            var old = page.Locator($"li.key[data-credential-id='{original.CredentialId}']");
            await Expect(old.Locator(".key-status")).ToHaveTextAsync(Suspended);
            await Expect(old.Locator(".key-reason")).ToContainTextAsync("Bộ đếm chữ ký của khóa bị đi lùi");

            var replacement = page.Locator($"li.key:not([data-credential-id='{original.CredentialId}'])");
            await Expect(replacement.Locator(".key-status")).ToHaveTextAsync(Active);
            await Expect(replacement.Locator(".key-reason")).ToHaveCountAsync(0);
        });
    }

    /// <summary>Starts the deployment (once per class) and registers a citizen; returns her national ID number and activation link.</summary>
    private async Task<(string NationalId, string ActivationLink)> StartWithCitizenAsync(string name, string birthDate)
    {
        var chromium = Suites.ChromiumPath();
        var watch = Stopwatch.StartNew();
        await Deployment.StartAsync(chromium);
        TestContext.Current.TestOutputHelper?.WriteLine($"deployment ready: {watch.ElapsedMilliseconds} ms");
        var nationalId = LoopbackDeployment.NewNationalId();
        var activationLink = await Deployment.IdentityProvider.CreateCitizenAsync(nationalId, name, birthDate);
        return (nationalId, activationLink);
    }

    private async Task EnrolAsync(IPage page, string activationLink, string name)
    {
        await page.GotoAsync(activationLink);
        await page.Locator("#enrol").ClickAsync();
        await page.WaitForURLAsync(Idp + "/account");
        await Expect(page.Locator("#person-name")).ToHaveTextAsync(name);
    }

    // The identity provider's own account page, signed out: it sends the citizen to sign in.
    private async Task OpenSignInAsync(IPage page)
    {
        await page.GotoAsync(Idp + "/account");
        await page.WaitForURLAsync(url => url.StartsWith(Idp + "/account/login", StringComparison.Ordinal));
    }
}
