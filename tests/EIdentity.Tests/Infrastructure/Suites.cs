using Npgsql;
using Xunit.Sdk;

namespace EIdentity.Tests.Infrastructure;

/// <summary>
/// The first call of every test that needs a part from outside the process. On a developer
/// machine without that part the test is skipped with the reason shown; with
/// <c>EIDENTITY_REQUIRE_ALL_SUITES=1</c> (CI sets it) it fails instead, so a broken CI image
/// cannot turn a whole suite green by skipping it.
/// </summary>
internal static class Suites
{
    public static string PostgresConnectionString()
    {
        var connectionString = Environment.GetEnvironmentVariable("EIDENTITY_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw Unavailable("PostgreSQL",
                "set EIDENTITY_TEST_POSTGRES=\"Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres;Database=postgres\"");
        }

        return connectionString;
    }

    public static string ChromiumPath()
    {
        var path = Environment.GetEnvironmentVariable("CHROMIUM_PATH");
        if (string.IsNullOrWhiteSpace(path))
        {
            path = "/usr/bin/chromium";
        }

        if (!File.Exists(path))
        {
            throw Unavailable("Chromium", $"no browser at {path}; install Debian's chromium package or set CHROMIUM_PATH");
        }

        return path;
    }

    /// <summary>
    /// A connection string for a database no other test uses. The database does not exist yet:
    /// the server's migrations create it, so each test starts from the real schema.
    /// </summary>
    public static string NewPostgresDatabase(string prefix)
    {
        // PostgreSQL cuts identifiers at 63 bytes; a longer prefix would eat the unique part.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefix.Length, 30);

        var builder = new NpgsqlConnectionStringBuilder(PostgresConnectionString())
        {
            // Lower case, so the name is the same whether quoted (EF Core) or not (psql).
            Database = $"{prefix}_{Guid.NewGuid():N}".ToLowerInvariant(),
        };
        return builder.ConnectionString;
    }

    // SkipException is what Assert.Skip throws; returning it lets call sites say `throw`.
    private static Exception Unavailable(string suite, string remedy) =>
        Environment.GetEnvironmentVariable("EIDENTITY_REQUIRE_ALL_SUITES") == "1"
            ? new InvalidOperationException(
                $"{suite} suite cannot run, and EIDENTITY_REQUIRE_ALL_SUITES=1 forbids skipping it: {remedy} (see README).")
            : SkipException.ForSkip($"{suite} suite skipped: {remedy} (see README)");
}
