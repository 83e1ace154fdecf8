using EIdentity.Tests.Oidc;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using EIdentity.Tests.Infrastructure;
using static EIdentity.Tests.SignIn.SignInSteps;

namespace EIdentity.Tests.Cli;

/// <summary>
/// The registrar's and operator's verbs, run as the real server executable in its own process, the
/// way production runs them: <c>db migrate</c> once, then the verbs with migration on startup off.
/// </summary>
public sealed partial class ServerCommandTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    [Fact]
    public async Task Help_prints_the_usage_of_every_verb()
    {
        var help = await RunAsync("help");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("identity create --national-id <12 digits>", help.Output, StringComparison.Ordinal);
        Assert.Contains("client register --client-id <id>", help.Output, StringComparison.Ordinal);
        Assert.Contains("db migrate", help.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Db_migrate_prepares_an_empty_database_and_exits_0()
    {
        Assert.True(database.Migration.ExitCode == 0, database.Migration.ToString());
        Assert.Contains("Database is up to date.", database.Migration.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creating_an_identity_prints_a_single_use_activation_link()
    {
        var nationalId = NewNationalId();

        var create = await RunAsync("identity", "create", "--national-id", nationalId, "--name", "Nguyễn Thị Thu", "--birth-date", "1992-11-20");

        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Matches(ActivationLink(), create.Output);
        Assert.Contains("single use", create.Output, StringComparison.Ordinal);
        // Never in logs or console output: the registrar typed it, the letter does not need it.
        Assert.DoesNotContain(nationalId, create.Output + create.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Identity_created_on_the_command_line_is_activated_from_the_printed_link()
    {
        var created = await RunAsync("identity", "create", "--national-id", NewNationalId(), "--name", "Phan Văn Đức", "--birth-date", "1970-01-05");
        Assert.True(created.ExitCode == 0, created.ToString());
        var code = ActivationLink().Match(created.Output).Groups["code"].Value;
        await using var server = new EIdentityServerFactory(overrides: new() { ["Database:DataDirectory"] = database.Directory });
        using var citizen = new Citizen(server);

        await citizen.ActivateAsync(code);

        Assert.Equal("Phan Văn Đức", await SignedInNameAsync(citizen.Browser));
    }

    [Fact]
    public async Task Creating_an_identity_with_a_malformed_national_id_fails_with_a_clear_message_and_no_stack_trace()
    {
        var create = await RunAsync("identity", "create", "--national-id", "12345", "--name", "Sai Số", "--birth-date", "1990-01-01");

        Assert.NotEqual(0, create.ExitCode);
        Assert.Contains("--national-id must be a national ID number (CCCD) of exactly 12 digits", create.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", create.Output + create.Error, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackFrame(), create.Output + create.Error);
        Assert.DoesNotContain("/activate#", create.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creating_the_same_identity_twice_is_refused()
    {
        var nationalId = NewNationalId();
        string[] create = ["identity", "create", "--national-id", nationalId, "--name", "Hai Lần", "--birth-date", "1980-02-29"];

        var first = await RunAsync(create);
        var second = await RunAsync(create);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains("An identity with this national ID number already exists.", second.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("/activate#", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registering_a_portal_with_an_https_redirect_uri_succeeds()
    {
        var register = await RunAsync("client", "register", "--client-id", "tax-portal", "--display-name", "Thuế điện tử",
            "--secret", "a-long-secret-for-tests", "--redirect-uri", "https://thue.example/signin-oidc",
            "--redirect-uri", "http://127.0.0.1:5102/signin-oidc", "--scope", "openid profile");

        Assert.True(register.ExitCode == 0, register.ToString());
        Assert.Contains("Portal 'tax-portal' registered.", register.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registering_a_service_with_a_generated_secret_prints_it_once()
    {
        var register = await RunAsync("client", "register", "--client-id", "batch-service", "--display-name", "Dịch vụ lô",
            "--generate-secret", "--client-credentials");

        Assert.True(register.ExitCode == 0, register.ToString());
        var secret = System.Text.RegularExpressions.Regex.Match(register.Output, @"eidcs_[A-Za-z0-9_-]{43}").Value;
        Assert.True(EIdentity.Server.Oidc.ClientSecrets.IsGenerated(secret), register.Output);
        Assert.Contains("shown once", register.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registering_with_both_a_chosen_and_a_generated_secret_is_refused()
    {
        var register = await RunAsync("client", "register", "--client-id", "confused-service", "--display-name", "Dịch vụ",
            "--generate-secret", "--secret", "a-long-secret-for-tests", "--client-credentials");

        Assert.NotEqual(0, register.ExitCode);
        Assert.Contains("not both", register.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("registered", register.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registering_a_key_set_holding_a_private_key_is_refused()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var file = Path.Combine(database.Directory, "private-jwks.json");
        await File.WriteAllTextAsync(file, ClientAuthenticationTests.KeySet(key).Replace("\"kty\"", "\"d\":\"AAAA\",\"kty\"", StringComparison.Ordinal));

        var register = await RunAsync("client", "register", "--client-id", "careless-service", "--display-name", "Dịch vụ",
            "--jwks-file", file, "--client-credentials");

        Assert.NotEqual(0, register.ExitCode);
        Assert.Contains("private member \"d\"", register.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registering_a_service_with_its_tls_client_certificate_succeeds()
    {
        using var certificate = TestClientCertificate.SelfSigned("mtls-service");
        var file = Path.Combine(database.Directory, "mtls-service.pem");
        await File.WriteAllTextAsync(file, certificate.Pem);

        var register = await RunAsync("client", "register", "--client-id", "mtls-service", "--display-name", "Dịch vụ mTLS",
            "--tls-client-certificate", file, "--client-credentials");

        Assert.True(register.ExitCode == 0, register.ToString());
        Assert.Contains("Portal 'mtls-service' registered.", register.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registering_a_tls_client_certificate_file_holding_its_private_key_is_refused()
    {
        using var certificate = TestClientCertificate.SelfSigned("careless-mtls");
        using var key = System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.GetECDsaPrivateKey(certificate.WithKey)!;
        var file = Path.Combine(database.Directory, "careless-mtls.pem");
        await File.WriteAllTextAsync(file, certificate.Pem + "\n" + key.ExportPkcs8PrivateKeyPem());

        var register = await RunAsync("client", "register", "--client-id", "careless-mtls", "--display-name", "Dịch vụ",
            "--tls-client-certificate", file, "--client-credentials");

        Assert.NotEqual(0, register.ExitCode);
        Assert.Contains("TLS client certificate: the PEM holds a private key", register.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("registered", register.Output, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackFrame(), register.Output + register.Error);
    }

    [Fact]
    public async Task Registering_an_expired_tls_client_certificate_is_refused()
    {
        var expired = DateTimeOffset.UtcNow.AddDays(-10);
        using var certificate = TestClientCertificate.SelfSigned("stale-mtls", notAfter: expired);
        var file = Path.Combine(database.Directory, "stale-mtls.pem");
        await File.WriteAllTextAsync(file, certificate.Pem);

        var register = await RunAsync("client", "register", "--client-id", "stale-mtls", "--display-name", "Dịch vụ",
            "--tls-client-certificate", file, "--client-credentials");

        Assert.NotEqual(0, register.ExitCode);
        Assert.Contains($"TLS client certificate: the certificate expired on {expired.UtcDateTime:yyyy-MM-dd}", register.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("registered", register.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registering_a_tls_client_certificate_with_a_secret_is_refused()
    {
        using var certificate = TestClientCertificate.SelfSigned("both-mtls");
        var file = Path.Combine(database.Directory, "both-mtls.pem");
        await File.WriteAllTextAsync(file, certificate.Pem);

        var register = await RunAsync("client", "register", "--client-id", "both-mtls", "--display-name", "Dịch vụ",
            "--tls-client-certificate", file, "--generate-secret", "--client-credentials");

        Assert.NotEqual(0, register.ExitCode);
        Assert.Contains("give no --secret or --generate-secret", register.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("eidcs_", register.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registering_a_portal_with_a_plain_http_redirect_uri_on_another_host_is_refused()
    {
        var register = await RunAsync("client", "register", "--client-id", "leaky-portal", "--display-name", "Cổng rò rỉ",
            "--redirect-uri", "http://leaky.example/signin-oidc");

        Assert.NotEqual(0, register.ExitCode);
        Assert.Contains("'http://leaky.example/signin-oidc' must use https (http is allowed for loopback only)", register.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("registered", register.Output, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackFrame(), register.Output + register.Error);
    }

    private Task<CommandRun> RunAsync(params string[] args) => RunServerAsync(database.Directory, migrateOnStartup: false, args);

    /// <param name="environment">Extra configuration for the process, as an operator would export it (e.g. <c>Passkeys__Metadata__AllowListPath</c>).</param>
    internal static async Task<CommandRun> RunServerAsync(string dataDirectory, bool migrateOnStartup, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var serverDll = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
            StandardErrorEncoding = System.Text.Encoding.UTF8,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(serverDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        start.Environment["Database__Provider"] = "Sqlite";
        start.Environment["Database__ConnectionString"] = "";
        start.Environment["Database__DataDirectory"] = dataDirectory;
        start.Environment["Database__MigrateOnStartup"] = migrateOnStartup ? "true" : "false";
        start.Environment["PublicOrigin"] = "https://eid.test";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new(process.ExitCode, await output, await error);
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    [GeneratedRegex(@"^\s*https://eid\.test/activate#(?<code>[A-Za-z0-9_-]{43})\s*$", RegexOptions.Multiline)]
    private static partial Regex ActivationLink();

    [GeneratedRegex(@"^\s+at \S+\(", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

}

internal sealed record CommandRun(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>A data directory the operator has prepared with <c>db migrate</c>, shared by the CLI tests.</summary>
public sealed class MigratedDatabase : IAsyncLifetime
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "eidentity-cli-tests", Guid.NewGuid().ToString("N"));

    internal CommandRun Migration { get; private set; } = new(-1, "", "");

    public async ValueTask InitializeAsync() =>
        Migration = await ServerCommandTests.RunServerAsync(Directory, migrateOnStartup: false, ["db", "migrate"]);

    public ValueTask DisposeAsync()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
            // SQLite may hold the file a moment longer; the temp folder is reclaimed anyway.
        }

        return ValueTask.CompletedTask;
    }
}
