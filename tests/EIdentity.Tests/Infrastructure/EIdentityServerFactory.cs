using EIdentity.Server.Identities;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EIdentity.Tests.Infrastructure;

/// <summary>
/// The real server, in process, on its own fresh database (SQLite file by default, PostgreSQL when
/// given a connection string), with the test portals registered through configuration as an
/// operator would.
/// </summary>
public sealed class EIdentityServerFactory : WebApplicationFactory<Program>
{
    public const string Origin = "https://localhost";

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "eidentity-tests", Guid.NewGuid().ToString("N"));
    private readonly string? _postgresConnectionString;
    private readonly Dictionary<string, string?> _overrides;
    private readonly TimeProvider? _clock;
    private readonly Action<IServiceCollection>? _services;
    private readonly Dictionary<string, string?>? _hostSettings;

    /// <param name="services">Test-only service replacements (e.g. the revocation HTTP clients' handler), applied after the app's own.</param>
    /// <param name="hostSettings">
    /// Settings the app reads while Program.cs builds it, before WebApplicationFactory's app
    /// configuration applies (e.g. Certificates:MutualTls:Url, which adds a Kestrel listener).
    /// </param>
    public EIdentityServerFactory(string? postgresConnectionString = null, Dictionary<string, string?>? overrides = null, TimeProvider? clock = null, Action<IServiceCollection>? services = null, Dictionary<string, string?>? hostSettings = null)
    {
        _hostSettings = hostSettings;
        _postgresConnectionString = postgresConnectionString;
        _overrides = overrides ?? [];
        _clock = clock;
        _services = services;
        ClientOptions.BaseAddress = new Uri(Origin);
        ClientOptions.AllowAutoRedirect = false;
        ClientOptions.HandleCookies = true;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _hostSettings ?? [])
        {
            builder.UseSetting(key, value);
        }
        if (_clock is not null)
        {
            builder.ConfigureTestServices(services => services.AddSingleton(_clock));
        }

        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }

        // An empty authenticator allow-list of its own, unless a test brings one.
        Directory.CreateDirectory(_dataDirectory);
        var allowList = Path.Combine(_dataDirectory, "allow-list.json");
        File.WriteAllText(allowList, """{ "authenticators": [] }""");
        builder.ConfigureAppConfiguration((_, config) =>
        {
            var settings = new Dictionary<string, string?>
            {
                ["Database:Provider"] = _postgresConnectionString is null ? "Sqlite" : "PostgreSql",
                ["Database:ConnectionString"] = _postgresConnectionString ?? "",
                ["Database:DataDirectory"] = _dataDirectory,
                ["Passkeys:RpId"] = "localhost",
                ["Passkeys:AllowedOrigins:0"] = Origin,
                ["RateLimits:SignInPerMinute"] = "100000",
                ["RateLimits:GlobalPerMinute"] = "1000000",
                ["PublicOrigin"] = Origin,
                ["Passkeys:Metadata:AllowListPath"] = allowList,
            };
            var index = 0;
            foreach (var portal in TestPortals.All)
            {
                var prefix = $"Oidc:Clients:{index++}:";
                settings[prefix + "ClientId"] = portal.ClientId;
                settings[prefix + "ClientSecret"] = portal.Secret;
                settings[prefix + "DisplayName"] = portal.DisplayName;
                settings[prefix + "AllowClientCredentials"] = portal.ClientCredentials ? "true" : "false";
                settings[prefix + "FirstParty"] = portal.FirstParty ? "true" : "false";
                settings[prefix + "MinimumAcr"] = portal.MinimumAcr;
                if (portal.RedirectUri is not null)
                {
                    settings[prefix + "RedirectUris:0"] = portal.RedirectUri;
                    settings[prefix + "PostLogoutRedirectUris:0"] = portal.PostLogoutRedirectUri;
                }

                for (var i = 0; i < portal.Scopes.Length; i++)
                {
                    settings[prefix + $"Scopes:{i}"] = portal.Scopes[i];
                }
            }

            foreach (var (key, value) in _overrides)
            {
                settings[key] = value;
            }

            config.AddInMemoryCollection(settings);
        });
    }

    /// <summary>Creates a person as a registrar would and returns the activation code from the letter.</summary>
    public async Task<(Guid PersonId, string ActivationCode)> CreateCitizenAsync(string nationalId, string name = "Trần Thị Bình", string birthDate = "1985-03-02")
    {
        await using var scope = Services.CreateAsyncScope();
        var registry = scope.ServiceProvider.GetRequiredService<IdentityRegistry>();
        var created = await registry.CreatePersonAsync(new CreatePersonRequest(
            NationalIdNumber.Parse(nationalId), name, DateOnly.Parse(birthDate, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(created.Succeeded, created.Error);
        var activation = await registry.IssueActivationAsync(created.Person!.Id);
        return (created.Person.Id, activation.Code);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file briefly on some systems; the temp folder is reclaimed anyway.
        }
    }
}

/// <param name="FirstParty">Receives personal data without a consent screen (the registration's FirstParty).</param>
/// <param name="MinimumAcr">The lowest level the portal accepts (the registration's MinimumAcr).</param>
public sealed record TestPortal(string ClientId, string? Secret, string DisplayName, string? RedirectUri, string? PostLogoutRedirectUri, string[] Scopes,
    bool ClientCredentials = false, bool FirstParty = true, string? MinimumAcr = null);

public static class TestPortals
{
    // The portals most tests use are first-party: they see no consent screen, so a test of single
    // sign-on, tokens or logout is about that alone. ThirdParty is the one that asks for consent.
    public static readonly TestPortal PortalA = new("portal-a", "secret-a-for-tests", "Cổng A",
        "https://portal-a.test/signin-oidc", "https://portal-a.test/signout-callback-oidc",
        ["openid", "profile", "offline_access", "national_id"]);

    public static readonly TestPortal PortalB = new("portal-b", "secret-b-for-tests", "Cổng B",
        "https://portal-b.test/signin-oidc", "https://portal-b.test/signout-callback-oidc",
        ["openid", "profile", "offline_access"]);

    public static readonly TestPortal PublicApp = new("public-app", null, "Ứng dụng công khai",
        "https://app.test/callback", "https://app.test/signed-out", ["openid", "profile"]);

    public static readonly TestPortal Service = new("service-x", "secret-service-for-tests", "Dịch vụ nền",
        null, null, ["profile"], ClientCredentials: true);

    /// <summary>Not first-party: the citizen is asked before it receives personal data.</summary>
    public static readonly TestPortal ThirdParty = new("portal-c", "secret-c-for-tests", "Cổng C (bên thứ ba)",
        "https://portal-c.test/signin-oidc", "https://portal-c.test/signout-callback-oidc",
        ["openid", "profile", "offline_access", "national_id"], FirstParty: false);

    /// <summary>Registered with the high level as its minimum, whatever its requests say.</summary>
    public static readonly TestPortal HighOnly = new("portal-high", "secret-high-for-tests", "Cổng mức cao",
        "https://portal-high.test/signin-oidc", "https://portal-high.test/signout-callback-oidc",
        ["openid", "profile"], MinimumAcr: "urn:eidentity:loa:high");

    public static readonly TestPortal[] All = [PortalA, PortalB, PublicApp, Service, ThirdParty, HighOnly];
}
