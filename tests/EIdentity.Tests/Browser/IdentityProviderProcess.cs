using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace EIdentity.Tests.Browser;

/// <summary>
/// The built identity provider run as an operator runs it: <c>dotnet EIdentity.Server.dll</c> on
/// plain http://localhost in the Development environment (the only one where OpenIddict accepts
/// plain HTTP), configured through environment variables, on a fresh SQLite database. Citizens are
/// created with the server's own <c>identity create</c> verb, as a registrar would.
/// </summary>
public sealed partial class IdentityProviderProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(45);

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "eidentity-browser-tests", Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string> _environment;
    private Process? _server;

    private IdentityProviderProcess(int port, IReadOnlyList<PortalSite> portals, IReadOnlyDictionary<string, string> settings)
    {
        Origin = $"http://localhost:{port}";
        // An empty allow-list unless a test brings one: Development's own (certs/authenticators/
        // allow-list.dev-only.json) would lift Chromium's virtual key to the high level.
        Directory.CreateDirectory(_dataDirectory);
        var emptyAllowList = Path.Combine(_dataDirectory, "allow-list.json");
        File.WriteAllText(emptyAllowList, """{ "authenticators": [] }""");
        _environment = new Dictionary<string, string>
        {
            ["Passkeys__Metadata__AllowListPath"] = emptyAllowList,
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Demo__Enabled"] = "false",
            // Development's mutual-TLS listener has a fixed port (5443); tests that need it bring their own.
            ["Certificates__MutualTls__Url"] = "",
            ["PublicOrigin"] = Origin,
            ["Database__Provider"] = "Sqlite",
            ["Database__ConnectionString"] = "",
            ["Database__DataDirectory"] = _dataDirectory,
            ["Passkeys__RpId"] = "localhost",
            ["Passkeys__AllowedOrigins__0"] = Origin,
            ["RateLimits__SignInPerMinute"] = "100000",
            ["RateLimits__GlobalPerMinute"] = "1000000",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled",
        };

        // The same indexes as appsettings.Development.json, so these replace its two portals
        // (on 5101/5102) instead of adding to them. Arrays merge by index: the development
        // registration's fourth scope (national_id) stays for index 0, which no portal asks for here.
        for (var i = 0; i < portals.Count; i++)
        {
            var portal = portals[i];
            var prefix = $"Oidc__Clients__{i}__";
            _environment[prefix + "ClientId"] = portal.ClientId;
            _environment[prefix + "ClientSecret"] = portal.ClientSecret;
            _environment[prefix + "DisplayName"] = portal.DisplayName;
            _environment[prefix + "RedirectUris__0"] = $"{portal.Origin}/signin-oidc";
            _environment[prefix + "PostLogoutRedirectUris__0"] = $"{portal.Origin}/signout-callback-oidc";
            // Replaces Development's http://localhost:510x/backchannel-logout for this index.
            _environment[prefix + "BackchannelLogoutUri"] = $"{portal.Origin}/backchannel-logout";
            _environment[prefix + "Scopes__0"] = "openid";
            _environment[prefix + "Scopes__1"] = "profile";
            _environment[prefix + "Scopes__2"] = "offline_access";
            _environment[prefix + "FirstParty"] = portal.FirstParty ? "true" : "false";
        }

        // What a suite adds or overrides (for example the authenticator allow-list), last so it wins.
        foreach (var (name, value) in settings)
        {
            _environment[name] = value;
        }
    }

    public string Origin { get; }

    public HostLog Log { get; } = new("idp");

    /// <param name="port">The loopback port to listen on.</param>
    /// <param name="portals">The portals to register as clients.</param>
    /// <param name="settings">Further configuration, as environment variables (<c>Section__Key</c>).</param>
    public static async Task<IdentityProviderProcess> StartAsync(int port, IReadOnlyList<PortalSite> portals, IReadOnlyDictionary<string, string> settings)
    {
        var idp = new IdentityProviderProcess(port, portals, settings);
        try
        {
            await idp.StartServerAsync();
            return idp;
        }
        catch
        {
            await idp.DisposeAsync();
            throw;
        }
    }

    /// <summary>Registers a person with <c>identity create</c> and returns the link from the activation letter.</summary>
    public async Task<string> CreateCitizenAsync(string nationalId, string name, string birthDate)
    {
        var output = await RunCommandAsync("identity", "create", "--national-id", nationalId, "--name", name, "--birth-date", birthDate);
        var link = ActivationLink().Match(output);
        return link.Success && link.Value.StartsWith(Origin + "/activate#", StringComparison.Ordinal)
            ? link.Value
            : throw new InvalidOperationException($"`identity create` printed no activation link for {Origin}:\n{output}");
    }

    /// <summary>
    /// Issues a new activation link with <c>identity activation</c>, as a registrar does for a
    /// citizen who lost their keys (earlier unused links stop working).
    /// </summary>
    public async Task<string> IssueActivationAsync(string nationalId)
    {
        var output = await RunCommandAsync("identity", "activation", "--national-id", nationalId);
        var link = ActivationLink().Match(output);
        return link.Success && link.Value.StartsWith(Origin + "/activate#", StringComparison.Ordinal)
            ? link.Value
            : throw new InvalidOperationException($"`identity activation` printed no activation link for {Origin}:\n{output}");
    }

    private async Task StartServerAsync()
    {
        _server = Start(["--urls", Origin]);
        _server.OutputDataReceived += (_, e) => Log.Write(e.Data);
        _server.ErrorDataReceived += (_, e) => Log.Write(e.Data);
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (_server.HasExited)
            {
                throw new InvalidOperationException($"The identity provider exited with code {_server.ExitCode} while starting:\n{Log.Tail()}");
            }

            try
            {
                using var discovery = await http.GetAsync(new Uri($"{Origin}/.well-known/openid-configuration"));
                if (discovery.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Listening, but still starting up.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"The identity provider did not answer discovery at {Origin} within {StartTimeout.TotalSeconds} s:\n{Log.Tail()}");
    }

    private async Task<string> RunCommandAsync(params string[] args)
    {
        using var command = Start(args);
        var stdout = command.StandardOutput.ReadToEndAsync();
        var stderr = command.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await command.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            command.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{string.Join(' ', args)}` did not finish within {CommandTimeout.TotalSeconds} s.");
        }

        var output = await stdout + await stderr;
        return command.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"`{string.Join(' ', args)}` exited with code {command.ExitCode}:\n{output}");
    }

    private Process Start(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            // The project folder is the content root, as with `dotnet run`: appsettings*.json and wwwroot.
            WorkingDirectory = Repository.Path("src", "EIdentity.Server"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ServerAssembly());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the identity provider.");
    }

    // `dotnet test` exports the path of the host running it; outside it, the one on PATH.
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    // The server's own build output (built as a project reference of this test project, in the same configuration).
    private static string ServerAssembly()
    {
        var configuration = typeof(IdentityProviderProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Repository.Path("src", "EIdentity.Server", "bin", configuration, "net10.0", "EIdentity.Server.dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The identity provider is not built at {path}; build the solution first.", path);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is { } server)
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }

            server.Dispose();
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was created.
        }
        catch (IOException)
        {
            // The temp folder is reclaimed anyway.
        }
    }

    [GeneratedRegex(@"http://\S+/activate#\S+")]
    private static partial Regex ActivationLink();
}

/// <summary>A sample portal: how it is registered at the identity provider and where it listens.</summary>
/// <param name="FirstParty">Receives the citizen's data without a consent screen.</param>
public sealed record PortalSite(string ClientId, string ClientSecret, string DisplayName, string CookieName, int Port, bool FirstParty = true)
{
    public string Origin => $"http://localhost:{Port}";
}

internal static class Repository
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "EIdentity.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No EIdentity.sln above {AppContext.BaseDirectory}.");
    });

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root.Value, .. parts]);
}
