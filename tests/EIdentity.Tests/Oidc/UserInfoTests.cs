using System.Net;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Oidc;

public sealed class UserInfoTests(OidcServerFixture fixture) : IClassFixture<OidcServerFixture>
{
    private readonly EIdentityServerFactory _server = fixture.Server;

    [Fact]
    public async Task Userinfo_returns_the_id_token_subject_and_profile()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server, "Hoàng Minh Châu", "1978-07-14");
        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, "openid profile");
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var userInfo = await portal.UserInfoAsync(tokens.AccessToken);

        Assert.Equal(200, userInfo.Status);
        Assert.Equal(TokenResponse.Claims(tokens.IdToken).GetProperty("sub").GetString(), userInfo["sub"]);
        Assert.Equal("Hoàng Minh Châu", userInfo["name"]);
        Assert.Equal("1978-07-14", userInfo["birthdate"]);
        Assert.Null(userInfo["national_id"]);
    }

    [Fact]
    public async Task Userinfo_returns_the_national_id_only_when_that_scope_was_granted()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, "openid profile national_id");
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var userInfo = await portal.UserInfoAsync(tokens.AccessToken);

        Assert.Equal(200, userInfo.Status);
        Assert.Equal(citizen.NationalId, userInfo["national_id"]);
    }

    [Fact]
    public async Task Userinfo_without_the_profile_scope_returns_only_the_subject()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, "openid");
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var userInfo = await portal.UserInfoAsync(tokens.AccessToken);

        Assert.Equal(200, userInfo.Status);
        Assert.Equal(TokenResponse.Claims(tokens.IdToken).GetProperty("sub").GetString(), userInfo["sub"]);
        Assert.Null(userInfo["name"]);
        Assert.Null(userInfo["birthdate"]);
        Assert.Null(userInfo["national_id"]);
    }

    [Fact]
    public async Task Portal_not_registered_for_national_id_is_refused_that_scope()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalB, "openid profile national_id");

        // OpenIddict answers a scope outside the portal's permissions with invalid_request.
        var error = await OidcTestKit.RefusalAsync(attempt, TestPortals.PortalB);
        Assert.True(error is "invalid_scope" or "invalid_request", $"Refused with {error}");
    }

    [Fact]
    public async Task Portal_not_registered_for_national_id_is_refused_with_invalid_scope()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalB, "openid profile national_id");

        Assert.Equal("invalid_scope", await OidcTestKit.RefusalAsync(attempt, TestPortals.PortalB));
    }

    [Fact]
    public async Task Userinfo_without_an_access_token_is_refused()
    {
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var response = await portal.Http.GetAsync(new Uri("/connect/userinfo", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task Userinfo_refuses_an_id_token_presented_as_an_access_token()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, "openid profile");
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var userInfo = await portal.UserInfoAsync(tokens.IdToken);

        Assert.Equal(401, userInfo.Status);
        Assert.Null(userInfo["name"]);
    }
}
