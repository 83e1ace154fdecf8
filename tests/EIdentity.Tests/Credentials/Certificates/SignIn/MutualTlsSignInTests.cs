using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.SignIn;
using Microsoft.AspNetCore.WebUtilities;

namespace EIdentity.Tests.Credentials.Certificates.SignIn;

/// <summary>
/// The real server on real Kestrel on loopback: the main listener (plain http on 127.0.0.1) and
/// the dedicated mutual-TLS listener (https, with the committed development listener certificate
/// certs/dev-pki/dev-mtls-server.p12). Client certificates come from <see cref="CertificateTestPki"/>.
/// </summary>
public sealed class KestrelCertificateServerFixture : IAsyncDisposable
{
    public KestrelCertificateServerFixture()
    {
        Pki = new CertificateTestPki();
        MainUrl = $"https://127.0.0.1:{FreePort()}";
        MutualTlsUrl = $"https://127.0.0.1:{FreePort()}";
        var serverCertificate = Path.Combine(RepositoryRoot(), "certs", "dev-pki", "dev-mtls-server.p12");
        var listeners = new Dictionary<string, string?>
        {
            // The main listener is https too (outside Development the server redirects http to https),
            // with Kestrel's default certificate: the development listener certificate again.
            ["urls"] = MainUrl,
            ["Kestrel:Certificates:Default:Path"] = serverCertificate,
            ["Kestrel:Certificates:Default:Password"] = "dev-only",
            ["Certificates:MutualTls:Url"] = MutualTlsUrl,
            ["Certificates:MutualTls:CertificatePath"] = serverCertificate,
            ["Certificates:MutualTls:CertificatePassword"] = "dev-only",
        };
        var settings = Pki.Settings();
        foreach (var (key, value) in listeners)
        {
            settings[key] = value;
        }

        // The listeners are set up while Program.cs builds the app, so they go in as host settings too.
        Server = new EIdentityServerFactory(overrides: settings, services: Pki.Services, hostSettings: listeners);
        Server.UseKestrel();
        Server.StartServer();
    }

    internal CertificateTestPki Pki { get; }

    internal EIdentityServerFactory Server { get; }

    internal string MainUrl { get; }

    internal string MutualTlsUrl { get; }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Pki.Dispose();
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "EIdentity.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("EIdentity.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>
/// A browser on real sockets. Cookies are kept by hand: the server marks them Secure and its main
/// listener here is plain http on loopback, where CookieContainer would not send them back.
/// </summary>
internal sealed partial class SocketBrowser : IDisposable
{
    private readonly HttpClient _http;
    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);

    public SocketBrowser(TestKey? certificate)
    {
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ClientCertificateOptions = ClientCertificateOption.Manual,
            // The development listener certificate is for localhost and not in any trust store.
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        };
        if (certificate is not null)
        {
            using var withKey = certificate.Certificate.CopyWithPrivateKey(certificate.Key);
            handler.ClientCertificates.Add(X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null));
        }

        _http = new HttpClient(handler);
    }

    public IReadOnlyDictionary<string, string> Cookies => _cookies;

    public async Task<HttpResponseMessage> GetAsync(string url, bool sendCookies = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (sendCookies && _cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
        }

        var response = await _http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            foreach (var setCookie in setCookies)
            {
                var pair = setCookie.Split(';')[0];
                var name = pair[..pair.IndexOf('=', StringComparison.Ordinal)];
                var value = pair[(name.Length + 1)..];
                if (value.Length == 0 || ExpiresInPast().IsMatch(setCookie))
                {
                    _cookies.Remove(name);
                }
                else
                {
                    _cookies[name] = value;
                }
            }
        }

        return response;
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("expires=Thu, 01 Jan 1970", RegexOptions.IgnoreCase)]
    private static partial Regex ExpiresInPast();
}

/// <summary>Certificate sign-in by mutual TLS through the dedicated listener (docs/certificate-sign-in.md).</summary>
public sealed class MutualTlsSignInTests(KestrelCertificateServerFixture fixture) : IClassFixture<KestrelCertificateServerFixture>
{
    private const string StateCookie = "eid.certstate";

    private readonly CertificateTestPki _pki = fixture.Pki;
    private readonly EIdentityServerFactory _server = fixture.Server;

    [Fact]
    public async Task Good_certificate_signs_in_through_the_listener_and_returns_to_the_page()
    {
        var nationalId = SignInSteps.NewNationalId();
        await _server.CreateCitizenAsync(nationalId, "Hoàng Thị Lan");
        using var browser = new SocketBrowser(_pki.Person(nationalId));

        var handoff = await ThroughListenerAsync(browser, "/account");
        var completed = await browser.GetAsync(OnMain(handoff));

        Assert.Equal(HttpStatusCode.Redirect, completed.StatusCode);
        Assert.Equal("/account", completed.Headers.Location?.OriginalString);
        Assert.Contains(SignInSteps.SessionCookie, browser.Cookies.Keys);
        var account = await browser.GetAsync(fixture.MainUrl + "/account");
        await Expect.Status(HttpStatusCode.OK, account);
        Assert.Contains("Hoàng Thị Lan", WebUtility.HtmlDecode(await account.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Browser_without_a_certificate_is_sent_to_the_refusal_page()
    {
        using var browser = new SocketBrowser(certificate: null);

        var handoff = await ThroughListenerAsync(browser, "/account");

        Assert.Equal("/account/certificate/refused", handoff.AbsolutePath);
        Assert.Equal("NoCertificate", QueryHelpers.ParseQuery(handoff.Query)["reason"].ToString());
    }

    [Fact]
    public async Task Revoked_certificate_is_sent_to_the_refusal_page_as_revoked()
    {
        await _server.CreateCitizenAsync(_pki.RevokedNationalId);
        using var browser = new SocketBrowser(_pki.Revoked);

        var handoff = await ThroughListenerAsync(browser, "/account");

        Assert.Equal("/account/certificate/refused", handoff.AbsolutePath);
        Assert.Equal("Revoked", QueryHelpers.ParseQuery(handoff.Query)["reason"].ToString());
        Assert.DoesNotContain(SignInSteps.SessionCookie, browser.Cookies.Keys);
    }

    [Fact]
    public async Task Each_listener_answers_only_its_own_paths()
    {
        using var browser = new SocketBrowser(certificate: null);

        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync(fixture.MainUrl + "/certificate/mtls?state=x")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync(fixture.MutualTlsUrl + "/account/login")).StatusCode);
        // The same paths answer where they belong (so the 404s above are the isolation, not a dead server).
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(fixture.MainUrl + "/account/login")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync(fixture.MutualTlsUrl + "/certificate/mtls?state=x")).StatusCode);
    }

    [Fact]
    public async Task Handoff_code_is_redeemed_once_only()
    {
        var nationalId = SignInSteps.NewNationalId();
        await _server.CreateCitizenAsync(nationalId);
        using var browser = new SocketBrowser(_pki.Person(nationalId));
        var handoff = await ThroughListenerAsync(browser, "/account");
        var state = browser.Cookies[StateCookie];
        Assert.Equal("/account", (await browser.GetAsync(OnMain(handoff))).Headers.Location?.OriginalString);

        // Replayed with the same state cookie (a copy of the browser's cookies), without its session.
        var replayed = await SendWithStateAsync(OnMain(handoff), state);

        Assert.StartsWith("/account/certificate/refused", replayed.Headers.Location?.OriginalString, StringComparison.Ordinal);
        Assert.False(SignInSteps.SetsSessionCookie(replayed));
    }

    [Fact]
    public async Task Handoff_code_needs_the_browser_that_started()
    {
        var nationalId = SignInSteps.NewNationalId();
        await _server.CreateCitizenAsync(nationalId);
        using var browser = new SocketBrowser(_pki.Person(nationalId));
        var handoff = await ThroughListenerAsync(browser, "/account");

        // The code leaks (e.g. from a log or over a shoulder) to a browser that never started
        using var other = new SocketBrowser(certificate: null);
        var noState = await other.GetAsync(OnMain(handoff));
        // ... and to one that started a sign-in of its own (so it holds a state cookie, but not this one).
        await other.GetAsync($"{fixture.MainUrl}/account/certificate/start?returnUrl=%2Faccount");
        Assert.Contains(StateCookie, other.Cookies.Keys);
        var otherState = await other.GetAsync(OnMain(handoff));

        Assert.StartsWith("/account/certificate/refused", noState.Headers.Location?.OriginalString, StringComparison.Ordinal);
        Assert.StartsWith("/account/certificate/refused", otherState.Headers.Location?.OriginalString, StringComparison.Ordinal);
        Assert.DoesNotContain(SignInSteps.SessionCookie, other.Cookies.Keys);
        var account = await other.GetAsync(fixture.MainUrl + "/account");
        Assert.Equal(HttpStatusCode.Redirect, account.StatusCode);
        Assert.Contains("/account/login", account.Headers.Location?.OriginalString, StringComparison.Ordinal);
    }

    /// <summary>start on the main listener, then the listener with the browser's certificate; returns where the listener sends the browser.</summary>
    private async Task<Uri> ThroughListenerAsync(SocketBrowser browser, string returnUrl)
    {
        var start = await browser.GetAsync($"{fixture.MainUrl}/account/certificate/start?returnUrl={Uri.EscapeDataString(returnUrl)}");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        Assert.Contains(StateCookie, browser.Cookies.Keys);
        var listener = start.Headers.Location!;
        Assert.Equal(fixture.MutualTlsUrl + "/certificate/mtls", listener.GetLeftPart(UriPartial.Path));

        var judged = await browser.GetAsync(listener.ToString());
        Assert.True(judged.StatusCode == HttpStatusCode.Redirect, $"{(int)judged.StatusCode}: {await judged.Content.ReadAsStringAsync()}");
        var back = judged.Headers.Location!;
        Assert.Equal(EIdentityServerFactory.Origin, back.GetLeftPart(UriPartial.Authority));
        return back;
    }

    // The sealed origin is the configured public origin (https://localhost); here its main listener is this loopback port.
    private string OnMain(Uri publicUrl) => fixture.MainUrl + publicUrl.PathAndQuery;

    private static async Task<HttpResponseMessage> SendWithStateAsync(string url, string state)
    {
        using var http = new HttpClient(new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("Cookie", $"{StateCookie}={state}");
        return await http.SendAsync(request);
    }
}
