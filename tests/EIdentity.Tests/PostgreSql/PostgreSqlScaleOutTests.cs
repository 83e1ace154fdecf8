using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using EIdentity.Server.Identities;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Sessions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace EIdentity.Tests.PostgreSql;

/// <summary>
/// Issue 6's scale-out: nodes sharing one PostgreSQL database behave as one server, with no sticky
/// sessions. Each node is an in-process server; a browser moving between nodes is a cookie header
/// copied from one node's client to the other's.
/// </summary>
public sealed class PostgreSqlScaleOutTests
{
    [Fact]
    public async Task Citizen_signed_in_on_node_A_reaches_a_portal_through_node_B_without_signing_in_again()
    {
        var database = Suites.NewPostgresDatabase("eid_scale_sso");
        await using var nodeA = new EIdentityServerFactory(database);
        await using var nodeB = new EIdentityServerFactory(database);
        var (_, activation) = await nodeA.CreateCitizenAsync("079190001001", "Lê Văn Phúc", "1981-01-11");
        using var citizen = new Citizen(nodeA);
        await citizen.ActivateAsync(activation);

        using var browserAtB = NodeHop.BrowserAt(nodeB);
        var attempt = await NodeHop.AuthorizeAsync(browserAtB, await NodeHop.CookiesAsync(citizen), TestPortals.PortalB);

        Assert.False(attempt.WentToLogin, "node B sent the citizen back to sign-in");
        using var portal = new PortalBackChannel(nodeB, TestPortals.PortalB);
        var tokens = await portal.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);
        Assert.Equal(200, tokens.Status);
        Assert.Equal(attempt.Nonce, TokenResponse.Claims(tokens.IdToken).GetProperty("nonce").GetString());
        Assert.Equal("Lê Văn Phúc", (await portal.UserInfoAsync(tokens.AccessToken))["name"]);
    }

    [Fact]
    public async Task Signing_keys_rotated_on_node_B_sign_on_node_A_without_a_restart()
    {
        var database = Suites.NewPostgresDatabase("eid_scale_keys");
        var fastRefresh = new Dictionary<string, string?> { ["Oidc:KeyRefreshInterval"] = "00:00:01" };
        await using var nodeA = new EIdentityServerFactory(database, overrides: fastRefresh);
        await using var nodeB = new EIdentityServerFactory(database, overrides: fastRefresh);
        using var serviceAtA = new PortalBackChannel(nodeA, TestPortals.Service);
        using var serviceAtB = new PortalBackChannel(nodeB, TestPortals.Service);
        var before = await serviceAtA.ClientCredentialsAsync();

        EIdentity.Server.Oidc.KeyRotation rotation;
        await using (var scope = nodeB.Services.CreateAsyncScope())
        {
            rotation = await scope.ServiceProvider.GetRequiredService<EIdentity.Server.Oidc.ServerKeyRotation>()
                .RotateAsync(TimeSpan.Zero, retireNow: false, "test");
        }

        var newKid = rotation.Added.Single(k => k.Algorithm == "ES256").KeyId;
        string? kidAtA = null;
        for (var i = 0; i < 100 && kidAtA != newKid; i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            kidAtA = TokenResponse.Header((await serviceAtA.ClientCredentialsAsync()).AccessToken).GetProperty("kid").GetString();
        }

        Assert.Equal(newKid, kidAtA);
        Assert.NotEqual(newKid, TokenResponse.Header(before.AccessToken).GetProperty("kid").GetString());
        // What A signed before the rotation is still good everywhere.
        Assert.Equal("true", (await serviceAtB.IntrospectAsync(before.AccessToken))["active"]);
    }

    [Fact]
    public async Task Refresh_token_rotated_on_one_node_is_refused_when_replayed_on_the_other()
    {
        var database = Suites.NewPostgresDatabase("eid_scale_rotate");
        await using var nodeA = new EIdentityServerFactory(database);
        await using var nodeB = new EIdentityServerFactory(database);
        var tokens = await SignedInPortalAsync(nodeA, "079190001002");
        using var portalAtA = new PortalBackChannel(nodeA, TestPortals.PortalA);
        using var portalAtB = new PortalBackChannel(nodeB, TestPortals.PortalA);

        var rotatedAtA = await portalAtA.RefreshAsync(tokens.RefreshToken);
        Assert.Equal(200, rotatedAtA.Status);
        Assert.Equal("true", (await portalAtB.IntrospectAsync(rotatedAtA.AccessToken))["active"]);

        // B sees A's rotation at once: the old token is redeemed, the new one is good.
        var replayedAtB = await portalAtB.RefreshAsync(tokens.RefreshToken);
        Assert.Equal((400, "invalid_grant"), (replayedAtB.Status, replayedAtB.Error));

        // RFC 9700 4.14.2: the replay revokes what the grant produced, on every node.
        Assert.Equal("false", (await portalAtA.IntrospectAsync(rotatedAtA.AccessToken))["active"]);
        Assert.Equal("invalid_grant", (await portalAtA.RefreshAsync(rotatedAtA.RefreshToken)).Error);
    }

    [Fact]
    public async Task Suspension_on_node_B_is_enforced_by_node_A_on_its_very_next_request()
    {
        var database = Suites.NewPostgresDatabase("eid_scale_suspend");
        await using var nodeA = new EIdentityServerFactory(database, services: BackchannelLogoutKit.WithoutWorker);
        await using var nodeB = new EIdentityServerFactory(database, services: BackchannelLogoutKit.WithoutWorker);
        var (personId, activation) = await nodeA.CreateCitizenAsync("079190001003", "Vũ Thị Lan", "1992-02-22");
        using var citizen = new Citizen(nodeA);
        await citizen.ActivateAsync(activation);
        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid profile offline_access");
        using var portalAtA = new PortalBackChannel(nodeA, TestPortals.PortalA);
        var tokens = await portalAtA.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);
        Assert.Equal(200, tokens.Status);

        // Node A has just served all three, so anything it kept in memory is warm.
        await Expect.Status(HttpStatusCode.OK, await citizen.Browser.GetAsync("/account"));
        Assert.Equal("true", (await portalAtA.IntrospectAsync(tokens.AccessToken))["active"]);

        await using (var scopeB = nodeB.Services.CreateAsyncScope())
        {
            var suspended = await scopeB.ServiceProvider.GetRequiredService<IdentityStatusService>().SuspendAsync(personId, "test", "officer");
            Assert.Equal(IdentityStatusChange.Done, suspended.Change);
        }

        var account = await citizen.Browser.GetAsync("/account");
        Assert.Equal(HttpStatusCode.Redirect, account.StatusCode);
        Assert.StartsWith("/account/login", account.Headers.Location?.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal("invalid_grant", (await portalAtA.RefreshAsync(tokens.RefreshToken)).Error);
        Assert.Equal("false", (await portalAtA.IntrospectAsync(tokens.AccessToken))["active"]);
    }

    [Fact]
    public async Task Same_refresh_token_used_at_once_on_both_nodes_is_honoured_exactly_once()
    {
        var database = Suites.NewPostgresDatabase("eid_scale_race");
        await using var nodeA = new EIdentityServerFactory(database);
        await using var nodeB = new EIdentityServerFactory(database);
        var (_, activation) = await nodeA.CreateCitizenAsync("079190001004", "Trịnh Văn Quang", "1975-05-15");
        using var citizen = new Citizen(nodeA);
        await citizen.ActivateAsync(activation);
        using var portalAtA = new PortalBackChannel(nodeA, TestPortals.PortalA);
        using var portalAtB = new PortalBackChannel(nodeB, TestPortals.PortalA);

        const int Rounds = 5, Racers = 10;
        for (var round = 0; round < Rounds; round++)
        {
            // A fresh grant each round: a losing replay revokes the grant (refresh reuse leeway is zero).
            var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid profile offline_access");
            var tokens = await portalAtA.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);
            Assert.Equal(200, tokens.Status);

            using var start = new ManualResetEventSlim();
            var racers = Enumerable.Range(0, Racers)
                .Select(i => Task.Run(() =>
                {
                    start.Wait();
                    return (i % 2 == 0 ? portalAtA : portalAtB).RefreshAsync(tokens.RefreshToken);
                }))
                .ToArray();
            start.Set();
            var results = await Task.WhenAll(racers);

            var outcomes = string.Join(", ", results.Select(r => $"{r.Status} {r.Error}"));
            Assert.True(results.Count(r => r.Status == 200) == 1, $"round {round}: {outcomes}");
            Assert.All(results.Where(r => r.Status != 200), r => Assert.Equal((400, "invalid_grant"), (r.Status, r.Error)));
        }
    }

    [Fact]
    public async Task Code_and_session_acknowledged_by_a_node_that_then_dies_are_honoured_by_the_survivor()
    {
        var database = Suites.NewPostgresDatabase("eid_scale_kill");
        var nodeA = new EIdentityServerFactory(database);
        await using var nodeB = new EIdentityServerFactory(database);
        string cookies;
        AuthorizationAttempt attempt;
        try
        {
            var (_, activation) = await nodeA.CreateCitizenAsync("079190001005", "Đặng Thị Mai", "1999-09-09");
            using var citizen = new Citizen(nodeA);
            await citizen.ActivateAsync(activation);
            attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid profile offline_access");
            Assert.NotNull(attempt.Code);
            cookies = await NodeHop.CookiesAsync(citizen);
        }
        finally
        {
            await nodeA.DisposeAsync();
        }

        // The portal holds a code node A handed out; node A is gone, node B redeems it.
        using var portalAtB = new PortalBackChannel(nodeB, TestPortals.PortalA);
        var tokens = await portalAtB.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);
        Assert.Equal(200, tokens.Status);
        Assert.Equal(200, (await portalAtB.RefreshAsync(tokens.RefreshToken)).Status);

        // The browser's session from node A survives it on node B.
        using var browserAtB = NodeHop.BrowserAt(nodeB);
        var account = await NodeHop.GetAsync(browserAtB, cookies, "/account");
        await Expect.Status(HttpStatusCode.OK, account);
        Assert.Contains("Đặng Thị Mai", await account.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<TokenResponse> SignedInPortalAsync(EIdentityServerFactory node, string nationalId)
    {
        var (_, activation) = await node.CreateCitizenAsync(nationalId);
        using var citizen = new Citizen(node);
        await citizen.ActivateAsync(activation);
        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid profile offline_access");
        using var portal = new PortalBackChannel(node, TestPortals.PortalA);
        var tokens = await portal.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);
        Assert.Equal(200, tokens.Status);
        return tokens;
    }
}

/// <summary>A browser moving between nodes: the test host keeps cookies per client, so they are copied by hand.</summary>
internal static class NodeHop
{
    public static HttpClient BrowserAt(EIdentityServerFactory node) =>
        node.CreateClient(new() { BaseAddress = new Uri(EIdentityServerFactory.Origin), AllowAutoRedirect = false, HandleCookies = false });

    /// <summary>The Cookie header the citizen's browser sends to its node (read from a request it really sent).</summary>
    public static async Task<string> CookiesAsync(Citizen citizen)
    {
        var probe = await citizen.Browser.GetAsync("/account");
        await Expect.Status(HttpStatusCode.OK, probe);
        var header = probe.RequestMessage!.Headers.TryGetValues("Cookie", out var sent) ? string.Join("; ", sent) : "";
        Assert.False(string.IsNullOrEmpty(header), "the browser sent no cookie to its node");
        return header;
    }

    public static async Task<HttpResponseMessage> GetAsync(HttpClient browser, string cookies, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookies);
        return await browser.SendAsync(request);
    }

    /// <summary>The request a portal redirects the browser to, sent to the given node with the given cookies.</summary>
    public static async Task<AuthorizationAttempt> AuthorizeAsync(HttpClient browser, string cookies, TestPortal portal)
    {
        var pkce = Pkce.Create();
        var state = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(12));
        var nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(12));
        var url = QueryHelpers.AddQueryString("/connect/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = portal.ClientId,
            ["redirect_uri"] = portal.RedirectUri,
            ["response_type"] = "code",
            ["scope"] = "openid profile",
            ["state"] = state,
            ["nonce"] = nonce,
            ["code_challenge"] = pkce.Challenge,
            ["code_challenge_method"] = "S256",
        });
        return new AuthorizationAttempt(await GetAsync(browser, cookies, url), pkce.Verifier, state, nonce);
    }
}
