using EIdentity.Server.Audit;
using EIdentity.Server.Persistence;
using EIdentity.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EIdentity.Tests.PostgreSql;

/// <summary>The audit log's hash chain when several nodes append to it at the same moment.</summary>
public sealed class PostgreSqlAuditTests
{
    [Fact]
    public async Task Two_nodes_appending_at_once_leave_one_unbroken_chain()
    {
        var (verification, count) = await AppendFromTwoNodesAsync("eid_audit", 40);

        Assert.True(verification.IsIntact, verification.Problem);
        Assert.Equal(40, count);
    }

    [Fact]
    public async Task Three_hundred_appends_at_once_on_two_nodes_all_land_in_one_chain()
    {
        // The code flow at 16 connections once lost all 20 retries and answered 500: appends now queue.
        var (verification, count) = await AppendFromTwoNodesAsync("eid_audit_load", 300);

        Assert.True(verification.IsIntact, verification.Problem);
        Assert.Equal(300, count);
    }

    /// <summary>Appends <paramref name="count"/> events, alternating between two nodes on one database, all at once.</summary>
    private static async Task<(AuditVerification Verification, int Count)> AppendFromTwoNodesAsync(string databasePrefix, int count)
    {
        var database = Suites.NewPostgresDatabase(databasePrefix);
        await using var nodeA = new EIdentityServerFactory(database);
        _ = nodeA.Services; // migrates
        await using var nodeB = new EIdentityServerFactory(database);
        var logs = new[] { nodeA.Services.GetRequiredService<AuditLog>(), nodeB.Services.GetRequiredService<AuditLog>() };

        await Task.WhenAll(Enumerable.Range(0, count).Select(i => Task.Run(() =>
            logs[i % 2].RecordAsync(new AuditEntry("test.event", $"node-{i % 2}", Target: $"item-{i}"), TestContext.Current.CancellationToken))));

        await using var scope = nodeA.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        return (await AuditLog.VerifyAsync(db, TestContext.Current.CancellationToken),
            await db.AuditEvents.CountAsync(e => e.Type == "test.event", TestContext.Current.CancellationToken));
    }
}
