using System.Net;
using EIdentity.Server.Identities;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Sessions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EIdentity.Tests.PostgreSql;

/// <summary>Issue 5's cascade on PostgreSQL, with two nodes sharing the database.</summary>
public sealed class PostgreSqlCascadeTests
{
    [Fact]
    public async Task Suspension_on_one_node_ends_the_session_and_grants_everywhere_and_queues_one_logout_per_portal()
    {
        var database = Suites.NewPostgresDatabase("eid_cascade");
        await using var nodeA = new EIdentityServerFactory(database, services: BackchannelLogoutKit.WithoutWorker);
        await using var nodeB = new EIdentityServerFactory(database, services: BackchannelLogoutKit.WithoutWorker);
        var portal = await BackchannelLogoutKit.RegisterPortalAsync(nodeA, "http://127.0.0.1:" + BackchannelLogoutKit.ClosedPort() + "/backchannel-logout");
        var (personId, activation) = await nodeA.CreateCitizenAsync("079190000789", "Đỗ Thị Hoa", "1988-05-05");
        using var citizen = new Citizen(nodeA);
        await citizen.ActivateAsync(activation);
        var attempt = await citizen.AuthorizeAsync(portal, "openid profile");
        using var portalAtA = new PortalBackChannel(nodeA, portal);
        var tokens = await portalAtA.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);
        Assert.Equal(200, tokens.Status);

        // Node B suspends while node A's session ends the same sessions at the same moment.
        await using (var scopeB = nodeB.Services.CreateAsyncScope())
        await using (var scopeA = nodeA.Services.CreateAsyncScope())
        {
            var suspend = scopeB.ServiceProvider.GetRequiredService<IdentityStatusService>().SuspendAsync(personId, "test", "officer");
            var endAtA = scopeA.ServiceProvider.GetRequiredService<SessionService>()
                .EndWhereAsync(s => s.PersonId == personId, "ended_by_admin", SessionEndScope.SessionAndGrants);
            await Task.WhenAll(suspend, endAtA);
        }

        using var portalAtB = new PortalBackChannel(nodeB, portal);
        Assert.Equal("false", (await portalAtB.IntrospectAsync(tokens.AccessToken))["active"]);
        Assert.Equal(HttpStatusCode.Redirect, (await citizen.Browser.GetAsync("/account")).StatusCode);
        await using var scope = nodeA.Services.CreateAsyncScope();
        var deliveries = await scope.ServiceProvider.GetRequiredService<EIdentityDbContext>().LogoutDeliveries.AsNoTracking().ToListAsync();
        var delivery = Assert.Single(deliveries);
        Assert.Equal((portal.ClientId, LogoutDeliveryStatus.Pending), (delivery.ClientId, delivery.Status));
    }
}
