using System.Net;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.PostgreSql;

/// <summary>
/// The core flow against a real PostgreSQL server (EIDENTITY_TEST_POSTGRES), on the PostgreSQL
/// migrations, with two server instances sharing one database as nodes behind a balancer would.
/// </summary>
public sealed class PostgreSqlCoreFlowTests
{
    [Fact]
    public async Task Citizen_signs_in_and_portal_redeems_refreshes_and_reads_userinfo_on_PostgreSQL()
    {
        await using var server = new EIdentityServerFactory(Suites.NewPostgresDatabase("eid_core"));
        var (_, activation) = await server.CreateCitizenAsync("079190000123", "Phạm Thị Dung", "1990-12-24");
        using var citizen = new Citizen(server);
        await citizen.ActivateAsync(activation);

        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid profile offline_access");
        using var portal = new PortalBackChannel(server, TestPortals.PortalA);
        var tokens = await portal.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);
        Assert.Equal(200, tokens.Status);

        var refreshed = await portal.RefreshAsync(tokens.RefreshToken);
        Assert.Equal(200, refreshed.Status);

        var userInfo = await portal.UserInfoAsync(refreshed.AccessToken);
        Assert.Equal("Phạm Thị Dung", userInfo["name"]);

        // Replaying the rotated refresh token is refused and revokes what the grant produced.
        Assert.Equal("invalid_grant", (await portal.RefreshAsync(tokens.RefreshToken)).Error);
        Assert.Equal(401, (await portal.UserInfoAsync(refreshed.AccessToken)).Status);
    }

    [Fact]
    public async Task Two_nodes_sharing_a_database_agree_on_keys_subjects_sessions_and_tokens()
    {
        var database = Suites.NewPostgresDatabase("eid_nodes");
        await using var nodeA = new EIdentityServerFactory(database);
        var (_, activation) = await nodeA.CreateCitizenAsync("079190000456", "Hoàng Văn Em", "1979-07-07");
        using var citizen = new Citizen(nodeA);
        await citizen.ActivateAsync(activation);
        var atA = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid profile offline_access");
        using var portalAtA = new PortalBackChannel(nodeA, TestPortals.PortalA);
        var tokensFromA = await portalAtA.RedeemCodeAsync(atA.Code, atA.CodeVerifier);
        Assert.Equal(200, tokensFromA.Status);

        // Node B starts on the same database: it must reuse A's keys, not make its own.
        await using var nodeB = new EIdentityServerFactory(database);
        using var portalAtB = new PortalBackChannel(nodeB, TestPortals.PortalA);

        var introspected = await portalAtB.IntrospectAsync(tokensFromA.AccessToken);
        Assert.Equal("true", introspected["active"]);

        var refreshedAtB = await portalAtB.RefreshAsync(tokensFromA.RefreshToken);
        Assert.Equal(200, refreshedAtB.Status);
        Assert.Equal(
            TokenResponse.Claims(tokensFromA.IdToken).GetProperty("sub").GetString(),
            TokenResponse.Claims(refreshedAtB.IdToken).GetProperty("sub").GetString());

        // The browser's session cookie from node A is honoured by node B (shared data-protection keys and session rows).
        using var sameBrowserAtB = nodeB.CreateClient(new() { BaseAddress = new Uri(EIdentityServerFactory.Origin), AllowAutoRedirect = false, HandleCookies = false });
        var account = await ReplayCookiesAsync(citizen, sameBrowserAtB, "/account");
        await Expect.Status(HttpStatusCode.OK, account);
        Assert.Contains("Hoàng Văn Em", await account.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    // The test host's cookie container is per client; copy the citizen's cookies to a client of the other node.
    private static async Task<HttpResponseMessage> ReplayCookiesAsync(Citizen citizen, HttpClient other, string path)
    {
        var probe = await citizen.Browser.GetAsync("/account");
        await Expect.Status(HttpStatusCode.OK, probe);
        var cookieHeader = probe.RequestMessage!.Headers.TryGetValues("Cookie", out var sent) ? string.Join("; ", sent) : "";
        Assert.False(string.IsNullOrEmpty(cookieHeader), "the browser sent no cookie to node A");
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookieHeader);
        return await other.SendAsync(request);
    }
}
