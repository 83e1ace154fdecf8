using System.Net.Http.Json;
using System.Text.Json;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace EIdentity.Tests.Sessions;

/// <summary>
/// OpenID Connect Back-Channel Logout 1.0 from the identity provider's side: what a portal receives
/// when a session it took part in ends, and how the outbox delivers it (retries with backoff, a
/// fresh token per attempt, Failed after the configured attempts, restarts, several nodes).
/// The background sender is left out where a test steps through attempts on a fake clock.
/// </summary>
public sealed class BackchannelLogoutDeliveryTests : IAsyncLifetime
{
    // A whole second: the outbox stores instants at 0.1 ms precision, so times compare exactly.
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    private LogoutReceiver _receiver = null!;

    public async ValueTask InitializeAsync() => _receiver = await LogoutReceiver.StartAsync();

    public async ValueTask DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task Discovery_says_back_channel_logout_with_session_ids_is_supported()
    {
        await using var server = new EIdentityServerFactory(services: BackchannelLogoutKit.WithoutWorker);

        var discovery = await server.CreateClient().GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration");

        Assert.True(discovery.GetProperty("backchannel_logout_supported").GetBoolean());
        Assert.True(discovery.GetProperty("backchannel_logout_session_supported").GetBoolean());
    }

    [Fact]
    public async Task Logout_token_is_signed_with_a_published_key_and_names_the_session_and_the_portals_own_subject()
    {
        await using var server = Server();
        var portal = await BackchannelLogoutKit.RegisterPortalAsync(server, _receiver.Uri);
        using var citizen = await OidcTestKit.SignedInCitizenAsync(server);
        var idToken = TokenResponse.Claims((await OidcTestKit.CodeFlowAsync(server, citizen.Citizen, portal, "openid")).IdToken);
        var otherPortalsSubject = TokenResponse.Claims((await OidcTestKit.CodeFlowAsync(server, citizen.Citizen, TestPortals.PortalB, "openid")).IdToken).GetProperty("sub").GetString();

        await OidcTestKit.SignOutAsync(server, citizen.Citizen);
        Assert.Equal(1, await BackchannelLogoutKit.Sender(server).SendDueAsync());

        var token = Assert.Single(_receiver.Tokens);
        var header = TokenResponse.Header(token);
        Assert.Equal("logout+jwt", header.GetProperty("typ").GetString());
        Assert.Equal("RS256", header.GetProperty("alg").GetString());

        // Verifiable by a portal with nothing but the published key set.
        var jwks = new JsonWebKeySet(await server.CreateClient().GetStringAsync("/.well-known/jwks"));
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = idToken.GetProperty("iss").GetString(),
            ValidAudience = portal.ClientId,
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidTypes = ["logout+jwt"],
            // The server's clock is fake; this checks the signature and names, the lifetime below.
            ValidateLifetime = false,
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);

        var claims = TokenResponse.Claims(token);
        Assert.Equal(idToken.GetProperty("sid").GetString(), claims.GetProperty("sid").GetString());
        Assert.Equal(idToken.GetProperty("sub").GetString(), claims.GetProperty("sub").GetString());
        Assert.NotEqual(otherPortalsSubject, claims.GetProperty("sub").GetString());
        Assert.Equal(portal.ClientId, claims.GetProperty("aud").GetString());
        Assert.Equal(_clock.GetUtcNow().ToUnixTimeSeconds(), claims.GetProperty("iat").GetInt64());
        Assert.Equal(120, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());
        Assert.False(string.IsNullOrEmpty(claims.GetProperty("jti").GetString()));
        var logoutEvent = claims.GetProperty("events").GetProperty("http://schemas.openid.net/event/backchannel-logout");
        Assert.Equal(JsonValueKind.Object, logoutEvent.ValueKind);
        Assert.Empty(logoutEvent.EnumerateObject());
        Assert.False(claims.TryGetProperty("nonce", out _), "A logout token must never carry a nonce.");

        var delivery = Assert.Single(await BackchannelLogoutKit.DeliveriesAsync(server));
        Assert.Equal((LogoutDeliveryStatus.Delivered, 1, (DateTimeOffset?)_clock.GetUtcNow()), (delivery.Status, delivery.Attempts, delivery.DeliveredAt));
        Assert.Equal(claims.GetProperty("sid").GetString(), delivery.SessionId);
        Assert.Equal("logout", delivery.Reason);
    }

    [Fact]
    public async Task Portal_that_asked_for_the_logout_is_not_sent_a_logout_token()
    {
        await using var server = Server();
        var portal = await BackchannelLogoutKit.RegisterPortalAsync(server, _receiver.Uri);
        using var citizen = await OidcTestKit.SignedInCitizenAsync(server);
        var tokens = await OidcTestKit.CodeFlowAsync(server, citizen.Citizen, portal, "openid");

        var signOut = await citizen.Browser.GetAsync(new Uri("/connect/endsession?id_token_hint=" + Uri.EscapeDataString(tokens.IdToken), UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.Redirect, signOut.StatusCode);

        Assert.Equal(0, await BackchannelLogoutKit.Sender(server).SendDueAsync());
        Assert.Empty(await BackchannelLogoutKit.DeliveriesAsync(server));
        Assert.Empty(_receiver.Tokens);
    }

    [Fact]
    public async Task Portal_that_was_down_gets_a_fresh_logout_token_at_each_retry_with_growing_waits_until_it_answers()
    {
        await using var server = Server();
        var portal = await BackchannelLogoutKit.RegisterPortalAsync(server, _receiver.Uri);
        var sender = BackchannelLogoutKit.Sender(server);
        using var citizen = await OidcTestKit.SignedInCitizenAsync(server);
        await OidcTestKit.CodeFlowAsync(server, citizen.Citizen, portal, "openid");
        _receiver.Status = 503;
        await OidcTestKit.SignOutAsync(server, citizen.Citizen);
        var endedAt = _clock.GetUtcNow();

        Assert.Equal(1, await sender.SendDueAsync());
        var row = Assert.Single(await BackchannelLogoutKit.DeliveriesAsync(server));
        Assert.Equal((LogoutDeliveryStatus.Pending, 1, "HTTP 503", endedAt.AddSeconds(10)), (row.Status, row.Attempts, row.LastError, row.NextAttemptAt));

        // Not before its time: the first wait is 10 s, the next 20 s.
        _clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, await sender.SendDueAsync());
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await sender.SendDueAsync());
        row = Assert.Single(await BackchannelLogoutKit.DeliveriesAsync(server));
        Assert.Equal((LogoutDeliveryStatus.Pending, 2, _clock.GetUtcNow().AddSeconds(20)), (row.Status, row.Attempts, row.NextAttemptAt));

        _receiver.Status = 200;
        _clock.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal(0, await sender.SendDueAsync());
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await sender.SendDueAsync());

        row = Assert.Single(await BackchannelLogoutKit.DeliveriesAsync(server));
        Assert.Equal((LogoutDeliveryStatus.Delivered, 3, (DateTimeOffset?)_clock.GetUtcNow()), (row.Status, row.Attempts, row.DeliveredAt));
        Assert.Equal("HTTP 503", row.LastError); // the administrator still sees that the portal was down
        Assert.Equal(3, _receiver.Tokens.Count);
        var claims = _receiver.Tokens.Select(TokenResponse.Claims).ToList();
        Assert.Equal(3, claims.Select(c => c.GetProperty("jti").GetString()).Distinct().Count());
        Assert.Single(claims.Select(c => c.GetProperty("sid").GetString()).Distinct());
        Assert.Equal(new[] { endedAt, endedAt.AddSeconds(10), endedAt.AddSeconds(30) },
            claims.Select(c => DateTimeOffset.FromUnixTimeSeconds(c.GetProperty("iat").GetInt64())));

        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await sender.SendDueAsync());
        Assert.Equal(3, _receiver.Tokens.Count);
    }

    [Fact]
    public async Task Delivery_is_marked_failed_and_audited_after_the_configured_number_of_attempts()
    {
        await using var server = Server(new() { ["Sessions:BackchannelLogout:MaxAttempts"] = "3" });
        var portal = await BackchannelLogoutKit.RegisterPortalAsync(server, _receiver.Uri);
        var sender = BackchannelLogoutKit.Sender(server);
        using var citizen = await OidcTestKit.SignedInCitizenAsync(server);
        await OidcTestKit.CodeFlowAsync(server, citizen.Citizen, portal, "openid");
        _receiver.Status = 500;
        await OidcTestKit.SignOutAsync(server, citizen.Citizen);

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.Equal(1, await sender.SendDueAsync());
            _clock.Advance(TimeSpan.FromMinutes(15));
        }

        var row = Assert.Single(await BackchannelLogoutKit.DeliveriesAsync(server));
        Assert.Equal((LogoutDeliveryStatus.Failed, 3, "HTTP 500", (DateTimeOffset?)null), (row.Status, row.Attempts, row.LastError, row.DeliveredAt));

        _receiver.Status = 200;
        _clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, await sender.SendDueAsync());
        Assert.Equal(3, _receiver.Tokens.Count);

        await using var scope = server.Services.CreateAsyncScope();
        var audit = await scope.ServiceProvider.GetRequiredService<EIdentityDbContext>().AuditEvents.AsNoTracking()
            .SingleAsync(e => e.Type == "logout.delivery_failed");
        Assert.Equal((citizen.PersonId, portal.ClientId), (audit.PersonId, audit.Target));
        Assert.Contains($"session={row.SessionId}", audit.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_portal_is_retried_and_the_row_says_the_connection_failed()
    {
        await using var server = Server();
        var portal = await BackchannelLogoutKit.RegisterPortalAsync(server, $"http://127.0.0.1:{BackchannelLogoutKit.ClosedPort()}/backchannel-logout");
        using var citizen = await OidcTestKit.SignedInCitizenAsync(server);
        await OidcTestKit.CodeFlowAsync(server, citizen.Citizen, portal, "openid");
        await OidcTestKit.SignOutAsync(server, citizen.Citizen);

        Assert.Equal(1, await BackchannelLogoutKit.Sender(server).SendDueAsync());

        var row = Assert.Single(await BackchannelLogoutKit.DeliveriesAsync(server));
        Assert.Equal((LogoutDeliveryStatus.Pending, 1, "the connection failed"), (row.Status, row.Attempts, row.LastError));
        Assert.Equal(_clock.GetUtcNow().AddSeconds(10), row.NextAttemptAt);
    }

    [Fact(Timeout = 120_000)]
    public async Task Deliveries_left_by_a_stopped_server_are_sent_by_the_next_one_on_the_same_database()
    {
        using var database = new SharedDatabase();
        string clientId, sessionId;
        await using (var first = Server(database.Settings()))
        {
            var portal = await BackchannelLogoutKit.RegisterPortalAsync(first, _receiver.Uri);
            clientId = portal.ClientId;
            using var citizen = await OidcTestKit.SignedInCitizenAsync(first);
            await OidcTestKit.CodeFlowAsync(first, citizen.Citizen, portal, "openid");
            _receiver.Status = 503;
            await OidcTestKit.SignOutAsync(first, citizen.Citizen);
            Assert.Equal(1, await BackchannelLogoutKit.Sender(first).SendDueAsync());
            sessionId = Assert.Single(await BackchannelLogoutKit.DeliveriesAsync(first)).SessionId;
        }

        // The portal is back by the time the retry falls due; the first server is gone.
        _receiver.Status = 200;
        _clock.Advance(TimeSpan.FromSeconds(10));
        using var watch = new DeliveryWatch(clientId);
        await using var second = new EIdentityServerFactory(overrides: database.Settings(), clock: _clock);
        _ = second.Services; // starts the server, and with it the background sender

        Assert.Equal("delivered", await watch.NextOutcomeAsync());
        var row = Assert.Single(await BackchannelLogoutKit.DeliveriesAsync(second));
        Assert.Equal((LogoutDeliveryStatus.Delivered, 2, sessionId), (row.Status, row.Attempts, row.SessionId));
        Assert.Equal(2, _receiver.Tokens.Count);
        Assert.NotEqual(TokenResponse.Claims(_receiver.Tokens[0]).GetProperty("jti").GetString(),
            TokenResponse.Claims(_receiver.Tokens[1]).GetProperty("jti").GetString());
    }

    [Fact]
    public async Task Two_servers_sending_from_one_database_at_the_same_time_deliver_each_row_once()
    {
        using var database = new SharedDatabase();
        var shared = database.Settings(("Sessions:BackchannelLogout:MaxConcurrentDeliveries", "4"));
        await using var first = Server(shared);
        await using var second = Server(shared);
        var portal = await BackchannelLogoutKit.RegisterPortalAsync(first, _receiver.Uri);
        var sessions = Enumerable.Range(0, 20).Select(i => $"session-{i:D2}").ToList();
        await using (var scope = first.Services.CreateAsyncScope())
        {
            // What ending 20 sessions leaves in the outbox.
            var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
            db.LogoutDeliveries.AddRange(sessions.Select(sid => new LogoutDelivery
            {
                Id = Guid.CreateVersion7(),
                SessionId = sid,
                ClientId = portal.ClientId,
                PersonId = Guid.NewGuid(),
                Issuer = EIdentityServerFactory.Origin + "/",
                Reason = "logout",
                Status = LogoutDeliveryStatus.Pending,
                CreatedAt = _clock.GetUtcNow(),
                NextAttemptAt = _clock.GetUtcNow(),
            }));
            await db.SaveChangesAsync();
        }

        var sent = await Task.WhenAll(
            BackchannelLogoutKit.Sender(first).SendDueAsync(),
            BackchannelLogoutKit.Sender(second).SendDueAsync());

        Assert.Equal(20, sent.Sum());
        Assert.Equal(sessions, _receiver.Tokens.Select(t => TokenResponse.Claims(t).GetProperty("sid").GetString()!).Order());
        Assert.All(await BackchannelLogoutKit.DeliveriesAsync(second), d => Assert.Equal((LogoutDeliveryStatus.Delivered, 1), (d.Status, d.Attempts)));
    }

    private EIdentityServerFactory Server(Dictionary<string, string?>? overrides = null) =>
        new(overrides: overrides, clock: _clock, services: BackchannelLogoutKit.WithoutWorker);
}
