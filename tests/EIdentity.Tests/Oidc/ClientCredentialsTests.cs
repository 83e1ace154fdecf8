using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Oidc;

/// <summary>RFC 6749 4.4: a back-end service acting for itself.</summary>
public sealed class ClientCredentialsTests(OidcServerFixture fixture) : IClassFixture<OidcServerFixture>
{
    private readonly EIdentityServerFactory _server = fixture.Server;

    [Fact]
    public async Task Service_client_gets_a_jwt_access_token_about_itself()
    {
        using var service = new PortalBackChannel(_server, TestPortals.Service);

        var tokens = await service.ClientCredentialsAsync("profile");

        Assert.Equal(200, tokens.Status);
        Assert.Equal("Bearer", tokens["token_type"]);
        Assert.Equal(3, tokens.AccessToken.Split('.').Length);
        var claims = TokenResponse.Claims(tokens.AccessToken);
        Assert.Equal(TestPortals.Service.ClientId, claims.GetProperty("sub").GetString());
        Assert.Equal(TestPortals.Service.ClientId, claims.GetProperty("client_id").GetString());
        Assert.Null(tokens["id_token"]);
        Assert.Null(tokens["refresh_token"]);
    }

    [Fact]
    public async Task Portal_not_allowed_client_credentials_is_refused()
    {
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var tokens = await portal.ClientCredentialsAsync();

        Assert.Equal(400, tokens.Status);
        Assert.Equal("unauthorized_client", tokens.Error);
        Assert.Null(tokens["access_token"]);
    }

    [Fact]
    public async Task Wrong_client_secret_is_refused_as_invalid_client()
    {
        using var service = new PortalBackChannel(_server, TestPortals.Service);

        var tokens = await service.ClientCredentialsAsync(secret: "not-the-secret");

        Assert.Equal(401, tokens.Status);
        Assert.Equal("invalid_client", tokens.Error);
        Assert.Null(tokens["access_token"]);
    }

    [Fact]
    public async Task Service_client_cannot_ask_for_a_scope_it_is_not_registered_for()
    {
        using var service = new PortalBackChannel(_server, TestPortals.Service);

        var tokens = await service.ClientCredentialsAsync("national_id");

        // OpenIddict answers a scope outside the client's permissions with invalid_request (ID2051).
        Assert.Equal(400, tokens.Status);
        Assert.True(tokens.Error is "invalid_scope" or "invalid_request", tokens.Raw);
        Assert.Null(tokens["access_token"]);
    }

    [Fact]
    public async Task Public_client_cannot_use_client_credentials()
    {
        using var app = new PortalBackChannel(_server, TestPortals.PublicApp);

        var tokens = await app.ClientCredentialsAsync();

        Assert.InRange(tokens.Status, 400, 401);
        Assert.True(tokens.Error is "unauthorized_client" or "invalid_client" or "invalid_request", tokens.Raw);
        Assert.Null(tokens["access_token"]);
    }

    [Fact]
    public async Task Password_grant_does_not_exist()
    {
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var tokens = await portal.PostAsync("/connect/token", new()
        {
            ["grant_type"] = "password",
            ["username"] = "001099012345",
            ["password"] = "anything",
        });

        Assert.Equal(400, tokens.Status);
        Assert.Equal("unsupported_grant_type", tokens.Error);
    }
}
