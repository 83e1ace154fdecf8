using System.Net;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;

namespace EIdentity.Tests.Admin;

/// <summary>Who may call <c>/api/admin</c>: a registered admin client with an <c>eid.admin</c> token, no one else.</summary>
public sealed class AdminApiAuthorizationTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private const string Probe = "/api/admin/logout-deliveries";

    private readonly EIdentityServerFactory _server = fixture.Server;

    [Fact]
    public async Task Admin_client_token_is_accepted()
    {
        using var admin = await AdminKit.ConnectAsync(_server);

        var answer = await admin.GetAsync(Probe);

        answer.Expect(HttpStatusCode.OK);
        Assert.Equal(System.Text.Json.JsonValueKind.Array, answer.Json.GetProperty("deliveries").ValueKind);
    }

    [Fact]
    public async Task Call_without_a_token_is_unauthorized()
    {
        using var anonymous = new AdminClient(_server, accessToken: null);

        var answer = await anonymous.GetAsync(Probe);

        answer.ExpectProblem(HttpStatusCode.Unauthorized, "Access token required");
        Assert.Contains(answer.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        Assert.Null(answer["deliveries"]);
    }

    [Fact]
    public async Task Call_with_a_forged_token_is_unauthorized()
    {
        var genuine = await AdminKit.TokenAsync(_server, AdminKit.Console, "eid.admin");
        var parts = genuine.Split('.');
        // Same header and claims, another signature: nothing but the signature vouches for the claims.
        var forged = $"{parts[0]}.{parts[1]}.{new string('A', parts[2].Length)}";
        using var forger = new AdminClient(_server, forged);
        using var nonsense = new AdminClient(_server, "not-a-token");

        (await forger.GetAsync(Probe)).ExpectProblem(HttpStatusCode.Unauthorized, "Invalid access token");
        (await nonsense.GetAsync(Probe)).ExpectProblem(HttpStatusCode.Unauthorized, "Invalid access token");
    }

    [Fact]
    public async Task Service_token_without_the_admin_scope_is_forbidden()
    {
        var token = await AdminKit.TokenAsync(_server, TestPortals.Service, "profile");
        using var service = new AdminClient(_server, token);

        var answer = await service.GetAsync(Probe);

        answer.ExpectProblem(HttpStatusCode.Forbidden, "Admin scope required");
        Assert.Contains(answer.Headers.WwwAuthenticate, h => h.Parameter?.Contains("insufficient_access", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Citizen_access_token_of_a_portal_is_forbidden()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, "openid profile");
        using var portal = new AdminClient(_server, tokens.AccessToken);

        var answer = await portal.PostAsync($"/api/admin/identities/{citizen.PersonId}/suspend", new { reason = "portal trying its luck" });

        answer.ExpectProblem(HttpStatusCode.Forbidden, "Admin scope required");
        using var admin = await AdminKit.ConnectAsync(_server);
        Assert.Equal("active", (await admin.GetAsync($"/api/admin/identities/{citizen.PersonId}")).Expect(HttpStatusCode.OK)["status"]);
    }

    [Fact]
    public async Task Revoked_admin_token_stops_working_at_once()
    {
        var token = await AdminKit.TokenAsync(_server, AdminKit.Console, "eid.admin");
        using var admin = new AdminClient(_server, token);
        (await admin.GetAsync(Probe)).Expect(HttpStatusCode.OK);
        using var console = new PortalBackChannel(_server, AdminKit.Console);

        Assert.Equal(200, (await console.RevokeAsync(token)).Status);
        var answer = await admin.GetAsync(Probe);

        answer.ExpectProblem(HttpStatusCode.Unauthorized, "Invalid access token");
    }

    [Fact]
    public async Task Portal_cannot_obtain_the_admin_scope()
    {
        using var service = new PortalBackChannel(_server, TestPortals.Service);

        var tokens = await service.ClientCredentialsAsync("eid.admin");

        Assert.Equal(400, tokens.Status);
        Assert.Null(tokens["access_token"]);
    }
}
