using System.Net;
using EIdentity.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace EIdentity.Tests.Oidc;

/// <summary>RFC 9126: the portal pushes its authorization request, the browser carries only a reference.</summary>
public sealed class PushedAuthorizationTests(OidcServerFixture fixture) : IClassFixture<OidcServerFixture>
{
    private readonly EIdentityServerFactory _server = fixture.Server;

    [Fact]
    public async Task Pushed_request_returns_a_request_uri_that_yields_a_code_which_redeems()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var (pushed, pkce, state) = await PushAsync(portal);

        Assert.Equal(201, pushed.Status);
        Assert.StartsWith("urn:ietf:params:oauth:request_uri:", pushed["request_uri"], StringComparison.Ordinal);
        Assert.True(int.Parse(pushed["expires_in"]!, System.Globalization.CultureInfo.InvariantCulture) > 0);

        var attempt = await citizen.Citizen.GetAuthorizeAsync(AuthorizeUrl(TestPortals.PortalA, pushed["request_uri"]!), pkce.Verifier);
        Assert.True(OidcTestKit.RedirectsTo(attempt.Response, TestPortals.PortalA.RedirectUri!), $"Went to {attempt.Location}");
        Assert.Equal(state, attempt.CallbackParameters["state"]);

        var tokens = await portal.RedeemCodeAsync(attempt.Code, pkce.Verifier);
        Assert.Equal(200, tokens.Status);
        Assert.Equal(citizen.Name, TokenResponse.Claims(tokens.IdToken).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Pushed_request_survives_the_sign_in_detour()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        await OidcTestKit.SignOutAsync(_server, citizen.Citizen);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var (pushed, pkce, state) = await PushAsync(portal);
        Assert.Equal(201, pushed.Status);

        var first = await citizen.Citizen.GetAuthorizeAsync(AuthorizeUrl(TestPortals.PortalA, pushed["request_uri"]!), pkce.Verifier);
        var returnUrl = OidcTestKit.LoginReturnUrl(first);
        Assert.StartsWith("/connect/authorize?", returnUrl, StringComparison.Ordinal);

        var back = await OidcTestKit.SignInAndReturnAsync(citizen.Citizen, returnUrl, citizen.NationalId);
        var attempt = new AuthorizationAttempt(back, pkce.Verifier, state, null);
        Assert.True(OidcTestKit.RedirectsTo(back, TestPortals.PortalA.RedirectUri!), $"Went to {(int)back.StatusCode} {back.Headers.Location}");
        Assert.Equal(state, attempt.CallbackParameters["state"]);

        var tokens = await portal.RedeemCodeAsync(attempt.Code, pkce.Verifier);
        Assert.Equal(200, tokens.Status);
    }

    [Fact]
    public async Task Request_uri_cannot_be_used_again_after_it_produced_a_code()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var (pushed, pkce, _) = await PushAsync(portal);
        var url = AuthorizeUrl(TestPortals.PortalA, pushed["request_uri"]!);
        Assert.NotEmpty((await citizen.Citizen.GetAuthorizeAsync(url, pkce.Verifier)).Code);

        // RFC 9126 4: the request_uri is meant for one authorization; a replayed one must not mint codes.
        var again = await citizen.Citizen.GetAuthorizeAsync(url, pkce.Verifier);

        Assert.False(again.CallbackParameters.ContainsKey("code"), $"The request_uri produced a second code: {again.Location}");
    }

    [Fact]
    public async Task Pushed_request_with_a_wrong_client_secret_is_refused()
    {
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var (pushed, _, _) = await PushAsync(portal, secret: "not-the-secret");

        Assert.Equal(401, pushed.Status);
        Assert.Equal("invalid_client", pushed.Error);
        Assert.Null(pushed["request_uri"]);
    }

    [Fact]
    public async Task Pushed_request_with_an_unregistered_redirect_uri_is_refused_at_push_time()
    {
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var (pushed, _, _) = await PushAsync(portal, redirectUri: "https://attacker.test/callback");

        Assert.Equal(400, pushed.Status);
        Assert.Equal("invalid_request", pushed.Error);
        Assert.Null(pushed["request_uri"]);
    }

    [Fact]
    public async Task Request_uri_pushed_by_one_portal_cannot_be_used_by_another()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var (pushed, pkce, _) = await PushAsync(portal);
        Assert.Equal(201, pushed.Status);

        var attempt = await citizen.Citizen.GetAuthorizeAsync(AuthorizeUrl(TestPortals.PortalB, pushed["request_uri"]!), pkce.Verifier);

        Assert.Null(attempt.CallbackParameters.TryGetValue("code", out var code) ? code : null);
        Assert.False(OidcTestKit.RedirectsTo(attempt.Response, TestPortals.PortalA.RedirectUri!));
        Assert.Equal(HttpStatusCode.BadRequest, attempt.Response.StatusCode);
    }

    [Fact]
    public async Task Unknown_request_uri_is_refused()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.GetAuthorizeAsync(
            AuthorizeUrl(TestPortals.PortalA, "urn:ietf:params:oauth:request_uri:made-up"), "unused");

        Assert.Equal(HttpStatusCode.BadRequest, attempt.Response.StatusCode);
        Assert.Empty(attempt.CallbackParameters);
    }

    private static async Task<(TokenResponse Pushed, Pkce Pkce, string State)> PushAsync(PortalBackChannel portal, string? secret = null, string? redirectUri = null)
    {
        var pkce = Pkce.Create();
        var state = Guid.NewGuid().ToString("N");
        var pushed = await portal.PostAsync("/connect/par", new Dictionary<string, string?>
        {
            ["redirect_uri"] = redirectUri ?? TestPortals.PortalA.RedirectUri,
            ["response_type"] = "code",
            ["scope"] = "openid profile",
            ["state"] = state,
            ["nonce"] = Guid.NewGuid().ToString("N"),
            ["code_challenge"] = pkce.Challenge,
            ["code_challenge_method"] = "S256",
        }, secret);
        return (pushed, pkce, state);
    }

    private static string AuthorizeUrl(TestPortal portal, string requestUri) =>
        QueryHelpers.AddQueryString("/connect/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = portal.ClientId,
            ["request_uri"] = requestUri,
        });
}
