using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using EIdentity.SamplePortal;
using EIdentity.Server.Oidc;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using EIdentity.Server.Sessions.BackchannelLogout;
using EIdentity.Tests.Browser;
using EIdentity.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EIdentity.Tests.Sessions;

/// <summary>
/// A portal's back-channel logout endpoint reduced to what the sender tests look at: it records
/// every logout token POSTed to it and answers with <see cref="Status"/> (200 unless a test takes
/// the portal "down"). Real Kestrel on loopback, so the server's own HTTP client reaches it.
/// </summary>
public sealed class LogoutReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _tokens = new();

    private LogoutReceiver(WebApplication app) => _app = app;

    /// <summary>The status the endpoint answers with.</summary>
    public int Status { get; set; } = StatusCodes.Status200OK;

    public string Uri => _app.Urls.Single() + "/backchannel-logout";

    /// <summary>The logout tokens received, oldest first.</summary>
    public IReadOnlyList<string> Tokens => [.. _tokens];

    public static async Task<LogoutReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new LogoutReceiver(app);
        app.MapPost("/backchannel-logout", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            receiver._tokens.Enqueue(form["logout_token"].ToString());
            return Results.StatusCode(receiver.Status);
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// Sees the sender's outcome for one portal (the <c>eidentity.backchannel_logout.attempts</c>
/// counter, recorded after the outbox row is updated), so a test waits for background work
/// without sleeping. Listens before the server starts, so a delivery made at start is not missed.
/// </summary>
public sealed class DeliveryWatch : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Channel<string> _outcomes = Channel.CreateUnbounded<string>();

    public DeliveryWatch(string clientId)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == BackchannelLogoutSender.MeterName && instrument.Name == BackchannelLogoutSender.AttemptsInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string? outcome = null, client = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome")
                {
                    outcome = tag.Value as string;
                }
                else if (tag.Key == "client_id")
                {
                    client = tag.Value as string;
                }
            }

            if (client == clientId && outcome is not null)
            {
                _outcomes.Writer.TryWrite(outcome);
            }
        });
        _listener.Start();
    }

    /// <summary>The outcome of the next attempt for the portal (delivered, retrying, failed); bounded by the test's timeout.</summary>
    public async Task<string> NextOutcomeAsync() =>
        await _outcomes.Reader.ReadAsync(TestContext.Current.CancellationToken);

    public void Dispose() => _listener.Dispose();
}

/// <summary>The sample portal (EIdentity.SamplePortal) on real Kestrel on loopback, reading discovery from the in-process server.</summary>
public sealed class SamplePortalHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SamplePortalHost(WebApplication app, string clientId, string secret)
    {
        _app = app;
        ClientId = clientId;
        Secret = secret;
    }

    public string ClientId { get; }

    public string Secret { get; }

    public string Origin => _app.Urls.Single();

    /// <summary>The sessions the portal has been told are logged out.</summary>
    internal LoggedOutSessions LoggedOut => _app.Services.GetRequiredService<LoggedOutSessions>();

    /// <summary>The portal as the server's test kit knows a portal (for code flows run by the test itself).</summary>
    public TestPortal AsTestPortal => new(ClientId, Secret, ClientId, Origin + "/signin-oidc", Origin + "/signout-callback-oidc", ["openid", "profile", "offline_access"]);

    public static async Task<SamplePortalHost> StartAsync(EIdentityServerFactory identityProvider, string clientId, string displayName, string cookieName)
    {
        var secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            "--environment", "Development",
            "--applicationName", "EIdentity.SamplePortal",
            "--contentRoot", Repository.Path("src", "EIdentity.SamplePortal"),
        ];
        var app = PortalProgram.BuildApp(args, builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Portal:Authority"] = EIdentityServerFactory.Origin,
                ["Portal:ClientId"] = clientId,
                ["Portal:ClientSecret"] = secret,
                ["Portal:DisplayName"] = displayName,
                ["Portal:CookieName"] = cookieName,
                ["Portal:RequireHttpsMetadata"] = "false",
            });
            // Discovery, JWKS, PAR, token and userinfo go to the in-process server (README "Tests").
            builder.Services.Configure<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme,
                o => o.BackchannelHttpHandler = identityProvider.Server.CreateHandler());
            builder.Logging.ClearProviders();
        });
        await app.StartAsync();
        return new SamplePortalHost(app, clientId, secret);
    }

    /// <summary>Registers the portal at the server as an operator would (<c>client register ... --backchannel-logout-uri</c>).</summary>
    public Task RegisterAtAsync(EIdentityServerFactory server) =>
        BackchannelLogoutKit.RegisterAsync(server, new PortalRegistration
        {
            ClientId = ClientId,
            ClientSecret = Secret,
            DisplayName = ClientId,
            RedirectUris = [Origin + "/signin-oidc"],
            PostLogoutRedirectUris = [Origin + "/signout-callback-oidc"],
            Scopes = ["openid", "profile", "offline_access"],
            BackchannelLogoutUri = Origin + BackchannelLogout.Path,
            FirstParty = true,
        });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// A citizen's browser across the identity provider (in process, through the citizen's own client)
/// and portals on loopback: follows redirects and the provider's auto-submitting form_post pages.
/// Like a browser, it treats http://127.0.0.1 as a secure context and sends Secure cookies there.
/// </summary>
public sealed partial class PortalsBrowser(HttpClient identityProvider) : IDisposable
{
    private readonly HttpClient _portals = new(new LoopbackCookies(new CookieContainer())) { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>GETs a URL and follows where the browser would be taken.</summary>
    public async Task<HttpResponseMessage> GetAsync(string url) => await FollowAsync(await SendAsync(HttpMethod.Get, new Uri(url), null));

    /// <summary>GETs a URL without following anything.</summary>
    public Task<HttpResponseMessage> GetOnceAsync(string url) => SendAsync(HttpMethod.Get, new Uri(url), null);

    /// <summary>Submits the page's antiforgery-protected form (e.g. the portal's sign-out page) and follows.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string url)
    {
        var page = await GetOnceAsync(url);
        await Expect.Status(HttpStatusCode.OK, page);
        var token = AntiforgeryToken().Match(await page.Content.ReadAsStringAsync());
        Assert.True(token.Success, $"No antiforgery token on {url}");
        using var form = new FormUrlEncodedContent([KeyValuePair.Create("__RequestVerificationToken", WebUtility.HtmlDecode(token.Groups["token"].Value))]);
        return await FollowAsync(await SendAsync(HttpMethod.Post, new Uri(url), form));
    }

    private async Task<HttpResponseMessage> FollowAsync(HttpResponseMessage response)
    {
        for (var hop = 0; hop < 20; hop++)
        {
            var from = response.RequestMessage!.RequestUri!;
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                response = await SendAsync(HttpMethod.Get, location.IsAbsoluteUri ? location : new Uri(from, location), null);
                continue;
            }

            // response_mode=form_post (the OIDC handler's default): the provider's page posts the code to the portal.
            if (IsIdentityProvider(from) && response.StatusCode == HttpStatusCode.OK
                && FormPost().Match(await response.Content.ReadAsStringAsync()) is { Success: true } form)
            {
                var fields = Hidden().Matches(form.Groups["fields"].Value)
                    .Select(m => KeyValuePair.Create(WebUtility.HtmlDecode(m.Groups["name"].Value), WebUtility.HtmlDecode(m.Groups["value"].Value)));
                using var content = new FormUrlEncodedContent(fields);
                response = await SendAsync(HttpMethod.Post, new Uri(WebUtility.HtmlDecode(form.Groups["action"].Value)), content);
                continue;
            }

            return response;
        }

        throw new Xunit.Sdk.XunitException("More than 20 redirects.");
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, HttpContent? content)
    {
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        return await (IsIdentityProvider(uri) ? identityProvider : _portals).SendAsync(request);
    }

    private static bool IsIdentityProvider(Uri uri) =>
        uri.GetLeftPart(UriPartial.Authority) == new Uri(EIdentityServerFactory.Origin).GetLeftPart(UriPartial.Authority);

    public void Dispose() => _portals.Dispose();

    [GeneratedRegex("""<form[^>]*method="post"[^>]*action="(?<action>[^"]+)"[^>]*>(?<fields>.*?)</form>""", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex FormPost();

    [GeneratedRegex(""""<input type="hidden" name="(?<name>[^"]+)" value="(?<value>[^"]*)"""")]
    private static partial Regex Hidden();

    [GeneratedRegex(""""name="__RequestVerificationToken" type="hidden" value="(?<token>[^"]+)"""")]
    private static partial Regex AntiforgeryToken();

    private sealed class LoopbackCookies(CookieContainer jar) : DelegatingHandler(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // Cookies are looked up as for https: browsers send Secure cookies to loopback http origins.
            var secure = new UriBuilder(request.RequestUri!) { Scheme = Uri.UriSchemeHttps }.Uri;
            if (jar.GetCookieHeader(secure) is { Length: > 0 } cookies)
            {
                request.Headers.Add("Cookie", cookies);
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
            {
                foreach (var setCookie in setCookies)
                {
                    jar.SetCookies(secure, setCookie);
                }
            }

            return response;
        }
    }
}

/// <summary>A database directory two servers share (two nodes, or one restarted), removed at the end.</summary>
internal sealed class SharedDatabase : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "eidentity-tests", Guid.NewGuid().ToString("N"));

    public Dictionary<string, string?> Settings(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Database:DataDirectory"] = _directory };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
            // SQLite may hold the file a moment longer; the temp folder is reclaimed anyway.
        }
    }
}

internal static class BackchannelLogoutKit
{
    /// <summary>Leaves the background sender out of a server, so a test drives <see cref="BackchannelLogoutSender"/> step by step.</summary>
    public static void WithoutWorker(IServiceCollection services) =>
        services.Remove(services.Single(s => s.ServiceType == typeof(IHostedService) && s.ImplementationType == typeof(BackchannelLogoutWorker)));

    public static async Task RegisterAsync(EIdentityServerFactory server, PortalRegistration registration)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<PortalRegistry>().RegisterAsync(registration);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
    }

    /// <summary>A confidential portal whose back-channel logout URI is <paramref name="backchannelLogoutUri"/>, registered at the server.</summary>
    public static async Task<TestPortal> RegisterPortalAsync(EIdentityServerFactory server, string backchannelLogoutUri, string? clientId = null)
    {
        var portal = new TestPortal(clientId ?? "portal-" + Guid.NewGuid().ToString("N")[..8], "secret-" + Guid.NewGuid().ToString("N"), "Cổng nhận đăng xuất",
            "https://receiver.test/signin-oidc", "https://receiver.test/signout-callback-oidc", ["openid", "profile"]);
        await RegisterAsync(server, new PortalRegistration
        {
            ClientId = portal.ClientId,
            ClientSecret = portal.Secret,
            DisplayName = portal.DisplayName,
            RedirectUris = [portal.RedirectUri!],
            PostLogoutRedirectUris = [portal.PostLogoutRedirectUri!],
            Scopes = [.. portal.Scopes],
            BackchannelLogoutUri = backchannelLogoutUri,
            FirstParty = true,
        });
        return portal;
    }

    public static BackchannelLogoutSender Sender(EIdentityServerFactory server) => server.Services.GetRequiredService<BackchannelLogoutSender>();

    public static async Task<List<LogoutDelivery>> DeliveriesAsync(EIdentityServerFactory server)
    {
        await using var scope = server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EIdentityDbContext>().LogoutDeliveries.AsNoTracking().ToListAsync();
    }

    /// <summary>A loopback port nothing listens on (a portal that is down).</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
