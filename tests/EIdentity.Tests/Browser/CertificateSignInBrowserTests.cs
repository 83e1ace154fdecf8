using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EIdentity.Server.Credentials.Certificates.Development;
using EIdentity.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EIdentity.Tests.Browser;

/// <summary>
/// The loopback deployment with certificate sign-in over mutual TLS switched on. It trusts a
/// development PKI generated for this run, whose certificates name the test identity provider as
/// their OCSP responder and CRL distribution point (<c>certs dev-pki --base-url</c>), so every
/// sign-in checks revocation for real against the provider's own development responder instead
/// of http://localhost:5000. The mutual-TLS listener gets a free port on 127.0.0.1 and the
/// generated TLS server certificate.
/// </summary>
public sealed class CertificateSignInDeployment : IAsyncDisposable
{
    public const string Passphrase = DevelopmentPki.Password;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "eidentity-browser-tests", "dev-pki-" + Guid.NewGuid().ToString("N"));

    public CertificateSignInDeployment()
    {
        MutualTlsOrigin = $"https://127.0.0.1:{FreePort()}";
        Loopback = new LoopbackDeployment(authority =>
        {
            // Generated once the provider's port is known: the certificates point at it.
            Directory.CreateDirectory(_folder);
            foreach (var file in DevelopmentPki.Generate(new Uri(authority), DateTimeOffset.UtcNow))
            {
                File.WriteAllBytes(Path.Combine(_folder, file.Name), file.Content);
            }

            return new Dictionary<string, string>
            {
                ["Certificates__TrustAnchors__0__Name"] = "Dev national root CA (browser tests)",
                ["Certificates__TrustAnchors__0__Path"] = PkiFile(DevelopmentPki.CertificateFile(DevelopmentPki.RootCa)),
                ["Certificates__TrustAnchors__0__Intermediates__0__Path"] = PkiFile(DevelopmentPki.CertificateFile(DevelopmentPki.LicensedCa1)),
                ["Certificates__TrustAnchors__0__Intermediates__1__Path"] = PkiFile(DevelopmentPki.CertificateFile(DevelopmentPki.LicensedCa2)),
                ["Certificates__HardwareTokenPolicies__0"] = DevelopmentPki.HardwareTokenPolicyOid,
                ["Certificates__ServeDevelopmentPki"] = "true",
                ["Certificates__DevelopmentPkiPath"] = _folder,
                ["Certificates__MutualTls__Url"] = MutualTlsOrigin,
                ["Certificates__MutualTls__CertificatePath"] = PkiFile(DevelopmentPki.Pkcs12File(DevelopmentPki.MutualTlsServer)),
                ["Certificates__MutualTls__CertificatePassword"] = Passphrase,
            };
        });
    }

    public LoopbackDeployment Loopback { get; }

    /// <summary>The mutual-TLS sign-in listener, where the browser presents its client certificate.</summary>
    public string MutualTlsOrigin { get; }

    /// <summary>A file of the generated PKI (for example <c>dev-person-nguyen-van-an.dev.p12</c>).</summary>
    public string PkiFile(string name) => Path.Combine(_folder, name);

    public async ValueTask DisposeAsync()
    {
        await Loopback.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never started.
        }
        catch (IOException)
        {
            // The temp folder is reclaimed anyway.
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}

/// <summary>
/// Certificate sign-in (docs/certificate-sign-in.md) as a citizen meets it in a real browser: the
/// login page sends Chromium to the mutual-TLS listener, Chromium presents the citizen's client
/// certificate (Playwright's client certificates, as an imported PKCS#12 would be), and the
/// listener hands the sign-in back to the main origin.
/// </summary>
public sealed class CertificateSignInBrowserTests(CertificateSignInDeployment fixture) : IClassFixture<CertificateSignInDeployment>
{
    private const string HighName = "Cao";

    static CertificateSignInBrowserTests() => SetDefaultExpectTimeout(CitizenBrowser.StepTimeoutMs);

    private LoopbackDeployment Deployment => fixture.Loopback;

    private string Idp => Deployment.IdentityProvider.Origin;

    [Fact(Timeout = 120_000)]
    public async Task Citizen_with_a_hardware_token_certificate_signs_in_over_mutual_tls_at_high()
    {
        // The generated person certificate: Nguyễn Văn An, CCCD:001099012345, hardware-token policy.
        const string name = "Nguyễn Văn An";
        await StartWithCitizenAsync("001099012345", name, "1990-01-01");
        await using var browser = await OpenBrowserWithCertificateAsync(
            nameof(Citizen_with_a_hardware_token_certificate_signs_in_over_mutual_tls_at_high),
            DevelopmentPki.Pkcs12File(DevelopmentPki.DemoPerson));

        var mark = browser.Mark();
        await browser.StepAsync("sign in with the certificate from the login page", async page =>
        {
            await OpenSignInAsync(page);
            await page.Locator("#sign-in-certificate").ClickAsync();
            await page.WaitForURLAsync(Idp + "/account");
            await Expect(page.Locator("#person-name")).ToHaveTextAsync(name);
            await Expect(page.Locator("#session-level")).ToHaveTextAsync(HighName);

            // The round trip really went through the mutual-TLS listener and back.
            var trip = browser.NavigationsSince(mark);
            Assert.True(trip.Any(n => n.Url.StartsWith(fixture.MutualTlsOrigin + "/certificate/mtls", StringComparison.Ordinal) && n.Status == 302),
                $"The sign-in never went through the mutual-TLS listener:\n{string.Join('\n', trip)}");
            Assert.True(trip.Any(n => n.Url.StartsWith(Idp + "/account/certificate/complete", StringComparison.Ordinal)),
                $"The listener never handed the sign-in back to the main origin:\n{string.Join('\n', trip)}");
        });
    }

    [Fact(Timeout = 120_000)]
    public async Task Revoked_certificate_is_refused_and_the_citizen_is_told_it_was_revoked()
    {
        // The generated revoked certificate: Lê Văn Cường, CCCD:001099099999, revoked (keyCompromise).
        await StartWithCitizenAsync("001099099999", "Lê Văn Cường", "1985-06-15");
        await using var browser = await OpenBrowserWithCertificateAsync(
            nameof(Revoked_certificate_is_refused_and_the_citizen_is_told_it_was_revoked),
            DevelopmentPki.Pkcs12File(DevelopmentPki.Revoked));

        await browser.StepAsync("try to sign in with the revoked certificate", async page =>
        {
            await OpenSignInAsync(page);
            await page.Locator("#sign-in-certificate").ClickAsync();
            await page.WaitForURLAsync(url => url.StartsWith(Idp + "/account/certificate/refused", StringComparison.Ordinal));
            await Expect(page.Locator("#certificate-refused")).ToHaveAttributeAsync("data-reason", "Revoked");
        });

        await browser.StepAsync("the citizen is not signed in", async page =>
        {
            await OpenSignInAsync(page);
        });
    }

    private async Task StartWithCitizenAsync(string nationalId, string name, string birthDate)
    {
        var chromium = Suites.ChromiumPath();
        var watch = Stopwatch.StartNew();
        await Deployment.StartAsync(chromium);
        TestContext.Current.TestOutputHelper?.WriteLine($"deployment ready: {watch.ElapsedMilliseconds} ms");
        await Deployment.IdentityProvider.CreateCitizenAsync(nationalId, name, birthDate);
    }

    private Task<CitizenBrowser> OpenBrowserWithCertificateAsync(string testName, string pkcs12File) =>
        Deployment.OpenBrowserAsync(testName, new BrowserNewContextOptions
        {
            // The listener's TLS certificate chains to the development TLS root, which Chromium does not trust.
            IgnoreHTTPSErrors = true,
            ClientCertificates =
            [
                new ClientCertificate
                {
                    Origin = fixture.MutualTlsOrigin,
                    PfxPath = fixture.PkiFile(pkcs12File),
                    Passphrase = CertificateSignInDeployment.Passphrase,
                },
            ],
        });

    // The identity provider's own account page, signed out: it sends the citizen to sign in.
    private async Task OpenSignInAsync(IPage page)
    {
        await page.GotoAsync(Idp + "/account");
        await page.WaitForURLAsync(url => url.StartsWith(Idp + "/account/login", StringComparison.Ordinal));
    }
}
