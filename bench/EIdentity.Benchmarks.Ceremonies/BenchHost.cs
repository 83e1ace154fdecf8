using EIdentity.Server.Credentials.Certificates.Revocation;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Npgsql;

namespace EIdentity.Benchmarks.Ceremonies;

/// <summary>
/// The real server (Program.cs, Development environment) built in this process on a fresh database:
/// a SQLite file in a temporary folder, or a new PostgreSQL database that is dropped afterwards.
/// No socket: the development PKI's OCSP responder and CRLs are reached through the in-memory
/// server, and only while the revocation caches are warmed (<see cref="RevocationRequests"/>).
/// </summary>
internal sealed class BenchHost : WebApplicationFactory<Program>
{
    public const string Origin = "https://localhost";

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "eidentity-ceremonies", Guid.NewGuid().ToString("N"));
    private readonly string? _postgres;
    private readonly string? _postgresAdmin;
    private int _revocationRequests;

    /// <param name="postgresConnectionString">A PostgreSQL server to create the bench's database on; SQLite when null.</param>
    public BenchHost(string? postgresConnectionString)
    {
        _postgresAdmin = postgresConnectionString;
        _postgres = postgresConnectionString is null ? null : new NpgsqlConnectionStringBuilder(postgresConnectionString)
        {
            Database = $"eid_bench_{Guid.NewGuid():N}",
        }.ConnectionString;
    }

    public string Database => _postgres is null ? "SQLite" : "PostgreSQL";

    /// <summary>HTTP requests the server's OCSP and CRL clients made (to the development PKI).</summary>
    public int RevocationRequests => Volatile.Read(ref _revocationRequests);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        // No mutual-TLS listener: the in-memory server has no Kestrel, and the bench calls the sign-in engine directly.
        builder.UseSetting("Certificates:MutualTls:Url", "");
        Directory.CreateDirectory(_dataDirectory);
        builder.UseSetting("Database:Provider", _postgres is null ? "Sqlite" : "PostgreSql");
        builder.UseSetting("Database:ConnectionString", _postgres ?? "");
        builder.UseSetting("Database:DataDirectory", _dataDirectory);
        builder.UseSetting("Passkeys:RpId", "localhost");
        builder.UseSetting("Passkeys:AllowedOrigins:0", Origin);
        builder.UseSetting("PublicOrigin", Origin);
        builder.UseSetting("RateLimits:SignInPerMinute", "1000000");
        builder.UseSetting("RateLimits:GlobalPerMinute", "1000000");
        // As bench/run.sh runs the server: no per-request console logging.
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.ConfigureTestServices(services =>
        {
            services.AddHttpClient(nameof(OcspClient)).ConfigurePrimaryHttpMessageHandler(() => new ToThisServer(this));
            services.AddHttpClient(nameof(CrlDistributionPointFetcher)).ConfigurePrimaryHttpMessageHandler(() => new ToThisServer(this));
        });
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_postgres is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(_postgresAdmin);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{new NpgsqlConnectionStringBuilder(_postgres).Database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // The temporary folder is reclaimed anyway.
        }
    }

    /// <summary>Sends the certificates' http://localhost:5000/dev-pki/... requests to the in-memory server.</summary>
    private sealed class ToThisServer(BenchHost host) : HttpMessageHandler
    {
        private HttpMessageInvoker? _server;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref host._revocationRequests);
            _server ??= new HttpMessageInvoker(host.Server.CreateHandler(), disposeHandler: true);
            return _server.SendAsync(request, cancellationToken);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _server?.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
