using EIdentity.Server.Persistence;
using EIdentity.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EIdentity.Tests.Persistence;

/// <summary>What an operator chooses for the embedded database's durability (Database:SqliteSynchronous).</summary>
public sealed class SqliteSettingsTests
{
    [Theory]
    [InlineData(null, 1L)] // NORMAL by default
    [InlineData("Normal", 1L)]
    [InlineData("Full", 2L)]
    public async Task Every_connection_runs_in_wal_mode_with_the_configured_synchronous_level(string? setting, long expected)
    {
        var overrides = setting is null ? null : new Dictionary<string, string?> { ["Database:SqliteSynchronous"] = setting };
        await using var server = new EIdentityServerFactory(overrides: overrides);
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();

        await db.Database.OpenConnectionAsync(TestContext.Current.CancellationToken);
        var synchronous = await db.Database.SqlQueryRaw<long>("PRAGMA synchronous").ToListAsync(TestContext.Current.CancellationToken);
        var journal = await db.Database.SqlQueryRaw<string>("PRAGMA journal_mode").ToListAsync(TestContext.Current.CancellationToken);

        Assert.Equal(expected, Assert.Single(synchronous));
        Assert.Equal("wal", Assert.Single(journal));
    }
}
