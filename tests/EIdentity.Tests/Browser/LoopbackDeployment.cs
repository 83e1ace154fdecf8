using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Playwright;

namespace EIdentity.Tests.Browser;

/// <summary>
/// What a citizen's browser needs to reach: the identity provider (a child process) and the two
/// sample portals "Dịch vụ công" and "Thuế điện tử" (in this process), all on real Kestrel on
/// http://localhost, plus one headless Chromium. Started by the first test that runs, after it
/// has checked that Chromium exists, and shared by the tests of the class; each test opens its
/// own browser context and creates its own citizen.
/// </summary>
public sealed class LoopbackDeployment : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<IAsyncDisposable> _started = [];
    private readonly Func<string, IReadOnlyDictionary<string, string>> _identityProviderSettings;
    private Task? _start;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public LoopbackDeployment()
        : this(new Dictionary<string, string>())
    {
    }

    /// <param name="identityProviderSettings">Configuration the identity provider gets on top of the defaults, as environment variables.</param>
    internal LoopbackDeployment(IReadOnlyDictionary<string, string> identityProviderSettings)
    {
        _identityProviderSettings = _ => identityProviderSettings;
    }

    /// <param name="identityProviderSettings">
    /// Configuration the identity provider gets on top of the defaults, as environment variables,
    /// made once its origin (<c>http://localhost:port</c>) is known.
    /// </param>
    internal LoopbackDeployment(Func<string, IReadOnlyDictionary<string, string>> identityProviderSettings)
    {
        _identityProviderSettings = identityProviderSettings;
    }

    public IdentityProviderProcess IdentityProvider { get; private set; } = null!;

    /// <summary>"Dịch vụ công" (client dichvucong-portal).</summary>
    public PortalHost PublicServices { get; private set; } = null!;

    /// <summary>"Thuế điện tử" (client thue-portal, not first-party: it shows the consent screen).</summary>
    public PortalHost Tax { get; private set; } = null!;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Chromium was not launched.");

    /// <summary>Starts everything once; every test awaits the same start (and sees the same failure).</summary>
    public Task StartAsync(string chromiumPath)
    {
        lock (_gate)
        {
            return _start ??= StartCoreAsync(chromiumPath);
        }
    }

    private async Task StartCoreAsync(string chromiumPath)
    {
        int[] ports = FreePorts(3);
        var authority = $"http://localhost:{ports[0]}";
        var publicServices = new PortalSite("dichvucong-portal", Secret(), "Dịch vụ công", "portal-dichvucong", ports[1]);
        // Registered as in the development configuration: the tax portal is not first-party, so
        // the citizen is asked once before it receives her data.
        var tax = new PortalSite("thue-portal", Secret(), "Thuế điện tử", "portal-thue", ports[2], FirstParty: false);

        var idp = IdentityProviderProcess.StartAsync(ports[0], [publicServices, tax], _identityProviderSettings(authority));
        var a = PortalHost.StartAsync(publicServices, authority);
        var b = PortalHost.StartAsync(tax, authority);
        var playwright = Playwright.CreateAsync();
        var chromium = LaunchAsync(playwright, chromiumPath);
        try
        {
            await Task.WhenAll(idp, a, b, chromium);
        }
        finally
        {
            // Whatever did start is stopped at dispose, even when something else failed.
            if (idp.IsCompletedSuccessfully)
            {
                _started.Add(idp.Result);
            }

            _started.AddRange(new[] { a, b }.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            _playwright = playwright.IsCompletedSuccessfully ? playwright.Result : null;
            _browser = chromium.IsCompletedSuccessfully ? chromium.Result : null;
        }

        IdentityProvider = idp.Result;
        PublicServices = a.Result;
        Tax = b.Result;
    }

    private static async Task<IBrowser> LaunchAsync(Task<IPlaywright> playwright, string chromiumPath) =>
        await (await playwright).Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-gpu"],
            Timeout = CitizenBrowser.StepTimeoutMs,
        });

    public IReadOnlyList<HostLog> Logs => [IdentityProvider.Log, PublicServices.Log, Tax.Log];

    public Task<CitizenBrowser> OpenBrowserAsync(string testName, SecurityKeyKind key = SecurityKeyKind.Ctap2) =>
        CitizenBrowser.OpenAsync(Browser, Logs, testName, key);

    /// <summary>A citizen's browser whose context gets <paramref name="contextOptions"/> (for example client certificates).</summary>
    public Task<CitizenBrowser> OpenBrowserAsync(string testName, BrowserNewContextOptions contextOptions) =>
        CitizenBrowser.OpenAsync(Browser, Logs, testName, contextOptions);

    /// <summary>A national ID number no other test uses.</summary>
    public static string NewNationalId() => "0790" + RandomNumberGenerator.GetInt32(100_000_000).ToString("D8", System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        if (_start is not null)
        {
            // Let a start still in progress finish, so that nothing it launches outlives the tests.
            await Task.WhenAny(_start);
        }

        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        foreach (var host in _started)
        {
            await host.DisposeAsync();
        }
    }

    private static string Secret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    // Bound together so that the three differ, then released for the hosts to take.
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }
}
