using EIdentity.Server.Audit;
using EIdentity.Server.Persistence;
using EIdentity.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EIdentity.Tests.Audit;

/// <summary>The audit log under the load of many sign-ins at once on one node (SQLite).</summary>
public sealed class AuditLogTests
{
    [Fact]
    public async Task Three_hundred_appends_at_once_all_land_in_one_unbroken_chain()
    {
        await using var server = new EIdentityServerFactory();
        var log = server.Services.GetRequiredService<AuditLog>();

        await Task.WhenAll(Enumerable.Range(0, 300).Select(i => Task.Run(() =>
            log.RecordAsync(new AuditEntry("load.event", "test", Target: $"item-{i}"), TestContext.Current.CancellationToken))));

        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        var verification = await AuditLog.VerifyAsync(db, TestContext.Current.CancellationToken);
        Assert.True(verification.IsIntact, verification.Problem);
        Assert.Equal(300, await db.AuditEvents.CountAsync(e => e.Type == "load.event", TestContext.Current.CancellationToken));
        Assert.Equal(300, (await db.AuditEvents.Where(e => e.Type == "load.event").Select(e => e.Target).ToListAsync(TestContext.Current.CancellationToken)).Distinct().Count());
    }
}
