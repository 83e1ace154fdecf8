using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using EIdentity.Tests.Credentials.Certificates.SignIn;
using EIdentity.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EIdentity.Tests.Oidc;

/// <summary>
/// The real server on real Kestrel with portal mutual-TLS client authentication on: the main
/// listener and the mutual-TLS listener, which also serves the mTLS endpoint aliases. One portal is
/// registered through configuration with its self-signed certificate, as an operator would.
/// </summary>
public sealed class MutualTlsPortalServerFixture : IAsyncDisposable
{
    public const string ServiceId = "svc-mtls";

    public MutualTlsPortalServerFixture()
    {
        MainUrl = $"https://127.0.0.1:{KestrelCertificateServerFixture.FreePort()}";
        MutualTlsUrl = $"https://127.0.0.1:{KestrelCertificateServerFixture.FreePort()}";
        var listeners = MutualTlsSettings(MutualTlsUrl);
        listeners["urls"] = MainUrl;
        listeners["Kestrel:Certificates:Default:Path"] = listeners["Certificates:MutualTls:CertificatePath"];
        listeners["Kestrel:Certificates:Default:Password"] = listeners["Certificates:MutualTls:CertificatePassword"];
        var settings = new Dictionary<string, string?>(listeners)
        {
            [$"{Registration}ClientId"] = ServiceId,
            [$"{Registration}DisplayName"] = "Dịch vụ mTLS",
            [$"{Registration}AllowClientCredentials"] = "true",
            [$"{Registration}Scopes:0"] = "profile",
            [$"{Registration}TlsClientCertificate"] = Certificate.Pem,
        };
        Server = new EIdentityServerFactory(overrides: settings, hostSettings: listeners);
        Server.UseKestrel();
        Server.StartServer();
    }

    /// <summary>The portal's certificate, registered in Oidc:Clients.</summary>
    internal TestClientCertificate Certificate { get; } = TestClientCertificate.SelfSigned("svc-mtls");

    internal EIdentityServerFactory Server { get; }

    internal string MainUrl { get; }

    internal string MutualTlsUrl { get; }

    private static string Registration => $"Oidc:Clients:{TestPortals.All.Length}:";

    /// <summary>What an operator sets to offer portals mutual-TLS client authentication on this listener.</summary>
    internal static Dictionary<string, string?> MutualTlsSettings(string listenerUrl) => new()
    {
        ["Oidc:Issuer"] = EIdentityServerFactory.Origin + "/",
        ["Oidc:MutualTlsClientAuthentication"] = "true",
        ["Certificates:MutualTls:Url"] = listenerUrl,
        ["Certificates:MutualTls:CertificatePath"] = Path.Combine(KestrelCertificateServerFixture.RepositoryRoot(), "certs", "dev-pki", "dev-mtls-server.p12"),
        ["Certificates:MutualTls:CertificatePassword"] = "dev-only",
    };

    /// <summary>A portal's HTTP client on real sockets, presenting <paramref name="certificate"/> when a listener asks.</summary>
    internal static HttpClient Portal(X509Certificate2? certificate)
    {
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            ClientCertificateOptions = ClientCertificateOption.Manual,
            // The development listener certificate is for localhost and not in any trust store.
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        };
        if (certificate is not null)
        {
            handler.ClientCertificates.Add(certificate);
        }

        return new HttpClient(handler);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Certificate.Dispose();
    }
}

/// <summary>
/// Portals authenticating with their self-signed TLS client certificate at the mTLS endpoint
/// aliases (RFC 8705 2.2, 5), and the certificate-bound access tokens they get (RFC 8705 3).
/// </summary>
public sealed class MutualTlsClientAuthenticationTests(MutualTlsPortalServerFixture fixture) : IClassFixture<MutualTlsPortalServerFixture>
{
    [Fact]
    public async Task Registered_certificate_on_the_mtls_alias_gets_a_token_bound_to_it()
    {
        using var portal = MutualTlsPortalServerFixture.Portal(fixture.Certificate.WithKey);

        var tokens = await ClientCredentialsAsync(portal, fixture.MutualTlsUrl);

        Assert.True(tokens.Status == 200, tokens.Raw);
        var claims = TokenResponse.Claims(tokens.AccessToken);
        Assert.Equal(MutualTlsPortalServerFixture.ServiceId, claims.GetProperty("client_id").GetString());
        Assert.Equal(fixture.Certificate.Thumbprint, claims.GetProperty("cnf").GetProperty("x5t#S256").GetString());
    }

    [Fact]
    public async Task Another_self_signed_certificate_is_invalid_client()
    {
        using var other = TestClientCertificate.SelfSigned("svc-mtls");
        using var portal = MutualTlsPortalServerFixture.Portal(other.WithKey);

        var tokens = await ClientCredentialsAsync(portal, fixture.MutualTlsUrl);

        Assert.Equal((401, "invalid_client"), (tokens.Status, tokens.Error));
        Assert.Null(tokens["access_token"]);
    }

    [Fact]
    public async Task Certificate_a_ca_issued_is_invalid_client()
    {
        using var ca = TestClientCertificate.SelfSigned("Some CA", ca: true);
        using var issued = TestClientCertificate.IssuedBy(ca, "svc-mtls");
        using var portal = MutualTlsPortalServerFixture.Portal(issued.WithKey);

        var tokens = await ClientCredentialsAsync(portal, fixture.MutualTlsUrl);

        Assert.Equal((401, "invalid_client"), (tokens.Status, tokens.Error));
    }

    [Fact]
    public async Task No_certificate_on_the_mtls_alias_is_invalid_client()
    {
        using var portal = MutualTlsPortalServerFixture.Portal(certificate: null);

        var tokens = await ClientCredentialsAsync(portal, fixture.MutualTlsUrl);

        Assert.Equal((401, "invalid_client"), (tokens.Status, tokens.Error));
    }

    [Fact]
    public async Task Registered_certificate_offered_to_the_main_listener_does_not_authenticate()
    {
        using var portal = MutualTlsPortalServerFixture.Portal(fixture.Certificate.WithKey);

        var tokens = await ClientCredentialsAsync(portal, fixture.MainUrl);

        Assert.Equal((401, "invalid_client"), (tokens.Status, tokens.Error));
    }

    [Fact]
    public async Task Bound_token_is_introspected_over_the_alias_with_its_confirmation()
    {
        using var portal = MutualTlsPortalServerFixture.Portal(fixture.Certificate.WithKey);
        var token = (await ClientCredentialsAsync(portal, fixture.MutualTlsUrl)).AccessToken;

        var introspection = await PostAsync(portal, fixture.MutualTlsUrl + "/connect/introspect", new() { ["token"] = token });

        Assert.True(introspection.Status == 200, introspection.Raw);
        Assert.True(introspection.Json.GetProperty("active").GetBoolean());
        Assert.Equal(fixture.Certificate.Thumbprint, introspection.Json.GetProperty("cnf").GetProperty("x5t#S256").GetString());
    }

    [Fact]
    public async Task Mtls_listener_serves_the_aliases_but_not_sign_in()
    {
        using var portal = MutualTlsPortalServerFixture.Portal(fixture.Certificate.WithKey);

        var authorize = await portal.GetAsync(fixture.MutualTlsUrl + "/connect/authorize?client_id=portal-a");
        var discovery = await portal.GetAsync(fixture.MutualTlsUrl + "/.well-known/openid-configuration");

        Assert.Equal(HttpStatusCode.NotFound, authorize.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, discovery.StatusCode);
    }

    [Fact]
    public async Task Discovery_on_the_main_listener_points_portals_at_the_aliases()
    {
        using var portal = MutualTlsPortalServerFixture.Portal(certificate: null);

        using var discovery = JsonDocument.Parse(await portal.GetStringAsync(fixture.MainUrl + "/.well-known/openid-configuration"));

        var root = discovery.RootElement;
        Assert.Contains("self_signed_tls_client_auth", root.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(fixture.MutualTlsUrl + "/connect/token", root.GetProperty("mtls_endpoint_aliases").GetProperty("token_endpoint").GetString());
        Assert.True(root.GetProperty("tls_client_certificate_bound_access_tokens").GetBoolean());
        Assert.Equal(fixture.MainUrl + "/connect/token", root.GetProperty("token_endpoint").GetString());
    }

    private static Task<TokenResponse> ClientCredentialsAsync(HttpClient portal, string listener) =>
        PostAsync(portal, listener + "/connect/token", new() { ["grant_type"] = "client_credentials", ["scope"] = "profile" });

    // RFC 8705 2: the client authenticates with its certificate and sends its client_id.
    private static async Task<TokenResponse> PostAsync(HttpClient portal, string url, Dictionary<string, string> form)
    {
        form["client_id"] = MutualTlsPortalServerFixture.ServiceId;
        using var content = new FormUrlEncodedContent(form);
        return await TokenResponse.ReadAsync(await portal.PostAsync(url, content));
    }
}

/// <summary>
/// The in-process server whose every request carries the portal's certificate as if a TLS client
/// certificate had reached the main listener (a main listener told to ask for one, a proxy
/// forwarding one): it must not authenticate there.
/// </summary>
public sealed class CertificateOutsideTheListenerTests : IAsyncDisposable
{
    private readonly TestClientCertificate _certificate = TestClientCertificate.SelfSigned("svc-main");
    private readonly EIdentityServerFactory _server;

    public CertificateOutsideTheListenerTests()
    {
        var settings = MutualTlsPortalServerFixture.MutualTlsSettings("https://127.0.0.1:1");
        var registration = $"Oidc:Clients:{TestPortals.All.Length}:";
        settings[registration + "ClientId"] = "svc-main";
        settings[registration + "DisplayName"] = "Dịch vụ";
        settings[registration + "AllowClientCredentials"] = "true";
        settings[registration + "TlsClientCertificate"] = _certificate.Pem;
        var presented = X509CertificateLoader.LoadCertificate(_certificate.WithKey.RawData);
        _server = new EIdentityServerFactory(overrides: settings, services: services =>
            services.AddSingleton<IStartupFilter>(new PresentCertificate(presented)));
    }

    [Fact]
    public async Task Certificate_reaching_the_main_listener_is_not_client_authentication()
    {
        using var backChannel = new PortalBackChannel(_server, new TestPortal("svc-main", null, "Dịch vụ", null, null, []));

        var tokens = await backChannel.ClientCredentialsAsync();

        Assert.Equal((401, "invalid_client"), (tokens.Status, tokens.Error));
        Assert.Null(tokens["access_token"]);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _certificate.Dispose();
    }

    private sealed class PresentCertificate(X509Certificate2 certificate) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                http.Connection.ClientCertificate = certificate;
                return nextMiddleware(http);
            });
            next(app);
        };
    }
}

/// <summary>Discovery offers mutual TLS only where an operator turned it on.</summary>
public sealed class MutualTlsDiscoveryTests(OidcServerFixture fixture) : IClassFixture<OidcServerFixture>
{
    [Fact]
    public async Task Without_the_setting_discovery_offers_no_mtls()
    {
        using var http = fixture.Server.CreateClient();

        using var discovery = JsonDocument.Parse(await http.GetStringAsync("/.well-known/openid-configuration"));

        var root = discovery.RootElement;
        Assert.DoesNotContain("self_signed_tls_client_auth", root.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(m => m.GetString()));
        Assert.False(root.TryGetProperty("mtls_endpoint_aliases", out _));
        Assert.False(root.TryGetProperty("tls_client_certificate_bound_access_tokens", out var bound) && bound.GetBoolean());
    }
}

/// <summary>Portals registered from configuration are registered again at every start.</summary>
public sealed class ConfiguredCertificateTests
{
    [Fact]
    public async Task Lapsed_certificate_in_configuration_does_not_stop_the_server()
    {
        using var lapsed = TestClientCertificate.SelfSigned("svc-lapsed", notAfter: DateTimeOffset.UtcNow.AddDays(-1));
        var registration = $"Oidc:Clients:{TestPortals.All.Length}:";
        await using var server = new EIdentityServerFactory(overrides: new()
        {
            [registration + "ClientId"] = "svc-lapsed",
            [registration + "DisplayName"] = "Dịch vụ",
            [registration + "AllowClientCredentials"] = "true",
            [registration + "TlsClientCertificate"] = lapsed.Pem,
        });
        using var backChannel = new PortalBackChannel(server, new TestPortal("svc-lapsed", null, "Dịch vụ", null, null, []));

        var discovery = await backChannel.Http.GetAsync("/.well-known/openid-configuration");
        var tokens = await backChannel.ClientCredentialsAsync();

        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        Assert.Equal((401, "invalid_client"), (tokens.Status, tokens.Error));
    }
}

/// <summary>The setting names what it is missing when the server starts.</summary>
public sealed class MutualTlsSettingTests
{
    [Theory]
    [InlineData("Oidc:Issuer", "needs Oidc:Issuer")]
    [InlineData("Certificates:MutualTls:Url", "needs the mutual-TLS listener")]
    public async Task Setting_without_what_it_needs_stops_the_server_naming_it(string missing, string message)
    {
        var settings = MutualTlsPortalServerFixture.MutualTlsSettings("https://127.0.0.1:1");
        settings[missing] = null;
        await using var server = new EIdentityServerFactory(overrides: settings);

        var failure = Record.Exception(() => server.CreateClient());

        Assert.NotNull(failure);
        Assert.Contains(message, failure.ToString(), StringComparison.Ordinal);
    }
}
