using EIdentity.SamplePortal;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace EIdentity.Tests.Browser;

/// <summary>A sample portal on real Kestrel on loopback, in this process, configured as its README says.</summary>
public sealed class PortalHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PortalHost(PortalSite site, WebApplication app, HostLog log)
    {
        Site = site;
        _app = app;
        Log = log;
    }

    public PortalSite Site { get; }

    public string Origin => Site.Origin;

    public HostLog Log { get; }

    /// <summary>The value of a claim on the portal's profile page (the <c>code</c> in the row whose <c>dt</c> names the claim).</summary>
    public static ILocator ProfileValue(IPage page, string claim) =>
        page.Locator($"dl.summary > div:has(dt code:text-is('{claim}')) dd code");

    /// <summary>The <c>amr</c> values on the portal's profile page, one locator match each.</summary>
    public static ILocator ProfileMethods(IPage page) =>
        page.Locator("dl.summary > div:has(dt code:text-is('amr')) dd li code");

    public static async Task<PortalHost> StartAsync(PortalSite site, string authority)
    {
        var log = new HostLog(site.ClientId);
        string[] args =
        [
            "--urls", site.Origin,
            "--environment", "Development",
            // Otherwise the host takes the test assembly for the application: Razor Pages then finds
            // none of the portal's pages (every route is a 404), and appsettings*.json are not read.
            "--applicationName", "EIdentity.SamplePortal",
            "--contentRoot", Repository.Path("src", "EIdentity.SamplePortal"),
        ];
        var app = PortalProgram.BuildApp(args, builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Portal:Authority"] = authority,
                ["Portal:ClientId"] = site.ClientId,
                ["Portal:ClientSecret"] = site.ClientSecret,
                ["Portal:DisplayName"] = site.DisplayName,
                ["Portal:CookieName"] = site.CookieName,
                ["Portal:RequireHttpsMetadata"] = "false",
            });
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(log);
        });

        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new PortalHost(site, app, log);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
