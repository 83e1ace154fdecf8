using System.Text.Json;
using EIdentity.Server.Identities;
using EIdentity.Server.Persistence;
using EIdentity.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EIdentity.Tests.Oidc;

/// <summary>Refresh-token rotation, revocation (RFC 7009) and introspection (RFC 7662).</summary>
public sealed class TokenLifecycleTests(OidcServerFixture fixture) : IClassFixture<OidcServerFixture>
{
    private const string OfflineScope = "openid profile offline_access";

    private readonly EIdentityServerFactory _server = fixture.Server;

    [Fact]
    public async Task Refresh_returns_a_new_refresh_token_and_fresh_tokens_for_the_same_subject()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, OfflineScope);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var refreshed = await portal.RefreshAsync(issued.RefreshToken);

        Assert.Equal(200, refreshed.Status);
        Assert.NotEqual(issued.RefreshToken, refreshed.RefreshToken);
        Assert.NotEqual(issued.AccessToken, refreshed.AccessToken);
        Assert.Equal(
            TokenResponse.Claims(issued.IdToken).GetProperty("sub").GetString(),
            TokenResponse.Claims(refreshed.IdToken).GetProperty("sub").GetString());
        Assert.Equal(citizen.Name, TokenResponse.Claims(refreshed.IdToken).GetProperty("name").GetString());

        // OIDC Core 12.2: a refreshed ID token still describes the original authentication.
        var original = TokenResponse.Claims(issued.IdToken);
        var again = TokenResponse.Claims(refreshed.IdToken);
        Assert.Equal(original.GetProperty("auth_time").GetInt64(), again.GetProperty("auth_time").GetInt64());
        Assert.Equal(original.GetProperty("acr").GetString(), again.GetProperty("acr").GetString());
    }

    [Fact]
    public async Task Used_refresh_token_is_refused()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, OfflineScope);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        Assert.Equal(200, (await portal.RefreshAsync(issued.RefreshToken)).Status);

        var replayed = await portal.RefreshAsync(issued.RefreshToken);

        Assert.Equal(400, replayed.Status);
        Assert.Equal("invalid_grant", replayed.Error);
        Assert.Null(replayed["access_token"]);
    }

    [Fact]
    public async Task Refresh_token_sent_in_several_requests_at_once_is_honoured_once()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, OfflineScope);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        using var start = new ManualResetEventSlim();
        var racers = Enumerable.Range(0, 6)
            .Select(_ => Task.Run(() =>
            {
                start.Wait();
                return portal.RefreshAsync(issued.RefreshToken);
            }))
            .ToArray();
        start.Set();
        var results = await Task.WhenAll(racers);

        var outcomes = string.Join(", ", results.Select(r => $"{r.Status} {r.Error}"));
        Assert.True(results.Count(r => r.Status == 200) == 1, outcomes);
        Assert.All(results.Where(r => r.Status != 200), r => Assert.Equal((400, "invalid_grant"), (r.Status, r.Error)));
    }

    [Fact]
    public async Task Replaying_a_used_refresh_token_revokes_the_rotated_one_too()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, OfflineScope);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var rotated = await portal.RefreshAsync(issued.RefreshToken);
        Assert.Equal(200, rotated.Status);

        // A thief replays the old token: the whole grant ends, the legitimate holder's included.
        Assert.Equal("invalid_grant", (await portal.RefreshAsync(issued.RefreshToken)).Error);
        var legitimate = await portal.RefreshAsync(rotated.RefreshToken);

        Assert.Equal(400, legitimate.Status);
        Assert.Equal("invalid_grant", legitimate.Error);
    }

    [Fact]
    public async Task Refresh_token_of_one_portal_is_refused_to_another()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, OfflineScope);
        using var portalB = new PortalBackChannel(_server, TestPortals.PortalB);

        var stolen = await portalB.RefreshAsync(issued.RefreshToken);

        Assert.Equal(400, stolen.Status);
        Assert.Equal("invalid_grant", stolen.Error);
    }

    [Fact]
    public async Task No_refresh_token_without_offline_access()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, "openid profile");

        Assert.Null(issued["refresh_token"]);
    }

    [Fact]
    public async Task Revoked_refresh_token_is_refused()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, OfflineScope);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var revoked = await portal.RevokeAsync(issued.RefreshToken);
        var refreshed = await portal.RefreshAsync(issued.RefreshToken);

        Assert.Equal(200, revoked.Status);
        Assert.Equal(400, refreshed.Status);
        Assert.Equal("invalid_grant", refreshed.Error);
    }

    [Fact]
    public async Task Active_access_token_introspects_with_subject_and_client()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, OfflineScope);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var introspected = await portal.IntrospectAsync(issued.AccessToken);

        Assert.Equal(200, introspected.Status);
        Assert.True(introspected.Json.GetProperty("active").GetBoolean(), introspected.Raw);
        Assert.Equal(TokenResponse.Claims(issued.IdToken).GetProperty("sub").GetString(), introspected["sub"]);
        Assert.Equal(TestPortals.PortalA.ClientId, introspected["client_id"]);
        Assert.Null(introspected["national_id"]);
        Assert.Null(introspected["name"]);
    }

    [Fact]
    public async Task Revoked_access_token_introspects_as_inactive()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, OfflineScope);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        Assert.True((await portal.IntrospectAsync(issued.AccessToken)).Json.GetProperty("active").GetBoolean());

        var revoked = await portal.RevokeAsync(issued.AccessToken);
        var introspected = await portal.IntrospectAsync(issued.AccessToken);

        Assert.Equal(200, revoked.Status);
        Assert.Equal(200, introspected.Status);
        Assert.False(introspected.Json.GetProperty("active").GetBoolean(), introspected.Raw);
        Assert.Null(introspected["sub"]);
    }

    [Fact]
    public async Task Revoked_access_token_is_refused_at_userinfo()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        Assert.Equal(200, (await portal.UserInfoAsync(issued.AccessToken)).Status);

        Assert.Equal(200, (await portal.RevokeAsync(issued.AccessToken)).Status);
        var userInfo = await portal.UserInfoAsync(issued.AccessToken);

        Assert.Equal(401, userInfo.Status);
        Assert.Null(userInfo["name"]);
    }

    [Fact]
    public async Task Another_portal_cannot_introspect_a_token_it_was_not_issued()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA);
        using var portalB = new PortalBackChannel(_server, TestPortals.PortalB);

        var introspected = await portalB.IntrospectAsync(issued.AccessToken);

        Assert.Equal(200, introspected.Status);
        Assert.False(introspected.Json.GetProperty("active").GetBoolean(), introspected.Raw);
        Assert.Null(introspected["sub"]);
    }

    [Fact]
    public async Task Another_portal_cannot_revoke_a_refresh_token_it_was_not_issued()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, OfflineScope);
        using var portalA = new PortalBackChannel(_server, TestPortals.PortalA);
        using var portalB = new PortalBackChannel(_server, TestPortals.PortalB);

        await portalB.RevokeAsync(issued.RefreshToken);
        var refreshed = await portalA.RefreshAsync(issued.RefreshToken);

        Assert.Equal(200, refreshed.Status);
    }

    [Fact]
    public async Task Another_portal_cannot_revoke_an_access_token_it_was_not_issued()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA);
        using var portalA = new PortalBackChannel(_server, TestPortals.PortalA);
        using var portalB = new PortalBackChannel(_server, TestPortals.PortalB);

        await portalB.RevokeAsync(issued.AccessToken);
        var introspected = await portalA.IntrospectAsync(issued.AccessToken);

        Assert.True(introspected.Json.GetProperty("active").GetBoolean(), "Portal B ended portal A's access token.");
    }

    [Fact]
    public async Task Public_client_cannot_introspect()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PublicApp);
        using var app = new PortalBackChannel(_server, TestPortals.PublicApp);

        var introspected = await app.IntrospectAsync(issued.AccessToken);

        Assert.InRange(introspected.Status, 400, 401);
        Assert.True(introspected.Error is "invalid_client" or "unauthorized_client", introspected.Raw);
        Assert.False(introspected.Json.ValueKind == JsonValueKind.Object && introspected.Json.TryGetProperty("active", out _));
    }

    [Fact]
    public async Task Refresh_token_is_refused_after_the_identity_is_suspended()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, OfflineScope);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        await SuspendAsync(citizen.PersonId);
        var refreshed = await portal.RefreshAsync(issued.RefreshToken);

        Assert.Equal(400, refreshed.Status);
        Assert.Equal("invalid_grant", refreshed.Error);
        Assert.Null(refreshed["access_token"]);
    }

    [Fact]
    public async Task Session_of_a_suspended_identity_yields_no_more_codes()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        await SuspendAsync(citizen.PersonId);
        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA);

        Assert.True(attempt.WentToLogin, $"Went to {attempt.Location}");
    }

    [Fact]
    public async Task Userinfo_refuses_an_access_token_after_the_identity_is_suspended()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var issued = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        await SuspendAsync(citizen.PersonId);
        var userInfo = await portal.UserInfoAsync(issued.AccessToken);

        Assert.Equal(401, userInfo.Status);
        Assert.Null(userInfo["sub"]);
    }

    private async Task SuspendAsync(Guid personId)
    {
        await using var scope = _server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        var person = await db.Users.FindAsync(personId) ?? throw new InvalidOperationException("No such person.");
        person.Status = PersonStatus.Suspended;
        await db.SaveChangesAsync();
    }
}
