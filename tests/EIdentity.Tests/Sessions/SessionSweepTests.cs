using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EIdentity.Tests.Sessions;

/// <summary>
/// Sessions that run out while nobody uses them (idle, or past their absolute end) are ended by the
/// background sweep, so the portals in them are told now rather than when the browser comes back.
/// </summary>
public sealed class SessionSweepTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    private LogoutReceiver _receiver = null!;

    public async ValueTask InitializeAsync() => _receiver = await LogoutReceiver.StartAsync();

    public async ValueTask DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task Idle_session_is_ended_by_the_sweep_and_its_portal_is_queued_a_logout()
    {
        await using var server = new EIdentityServerFactory(clock: _clock, services: BackchannelLogoutKit.WithoutWorker);
        var portal = await BackchannelLogoutKit.RegisterPortalAsync(server, _receiver.Uri);
        using var citizen = await OidcTestKit.SignedInCitizenAsync(server);
        await OidcTestKit.CodeFlowAsync(server, citizen.Citizen, portal, "openid");

        _clock.Advance(TimeSpan.FromMinutes(29));
        var beforeIdle = await SweepAsync(server);
        _clock.Advance(TimeSpan.FromMinutes(2));
        var afterIdle = await SweepAsync(server);
        var again = await SweepAsync(server);

        Assert.Equal((0, 1, 0), (beforeIdle, afterIdle, again));
        var session = Assert.Single(await SessionsAsync(server));
        Assert.Equal("idle_timeout", session.EndReason);
        var delivery = Assert.Single(await BackchannelLogoutKit.DeliveriesAsync(server));
        Assert.Equal((session.Id, portal.ClientId, "idle_timeout", LogoutDeliveryStatus.Pending),
            (delivery.SessionId, delivery.ClientId, delivery.Reason, delivery.Status));
    }

    [Fact]
    public async Task Session_past_its_absolute_end_is_ended_as_expired_even_while_in_use()
    {
        await using var server = new EIdentityServerFactory(clock: _clock, services: BackchannelLogoutKit.WithoutWorker);
        var portal = await BackchannelLogoutKit.RegisterPortalAsync(server, _receiver.Uri);
        using var citizen = await OidcTestKit.SignedInCitizenAsync(server);
        await OidcTestKit.CodeFlowAsync(server, citizen.Citizen, portal, "openid");

        // Used every 20 minutes for eight hours: never idle, but the absolute end still comes.
        for (var elapsed = TimeSpan.Zero; elapsed < TimeSpan.FromHours(8); elapsed += TimeSpan.FromMinutes(20))
        {
            _clock.Advance(TimeSpan.FromMinutes(20));
            await citizen.Browser.GetAsync(new Uri("/account", UriKind.Relative), TestContext.Current.CancellationToken);
            if (elapsed < TimeSpan.FromHours(7))
            {
                Assert.Equal(0, await SweepAsync(server));
            }
        }

        await SweepAsync(server);

        var session = Assert.Single(await SessionsAsync(server));
        Assert.Equal("expired", session.EndReason);
        Assert.Equal("expired", Assert.Single(await BackchannelLogoutKit.DeliveriesAsync(server)).Reason);
    }

    private static async Task<int> SweepAsync(EIdentityServerFactory server)
    {
        await using var scope = server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SessionService>().SweepAsync(TestContext.Current.CancellationToken);
    }

    private static async Task<List<SsoSession>> SessionsAsync(EIdentityServerFactory server)
    {
        await using var scope = server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EIdentityDbContext>().SsoSessions.AsNoTracking().ToListAsync(TestContext.Current.CancellationToken);
    }
}
