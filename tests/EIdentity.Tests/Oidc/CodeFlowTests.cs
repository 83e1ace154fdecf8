using System.Net;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Oidc;

public sealed class CodeFlowTests(OidcServerFixture fixture) : IClassFixture<OidcServerFixture>
{
    private readonly EIdentityServerFactory _server = fixture.Server;

    [Fact]
    public async Task Citizen_activates_a_key_signs_in_and_the_portal_receives_tokens_with_claims()
    {
        var (_, activation) = await _server.CreateCitizenAsync("001085000111", "Lê Văn Cường", "1985-01-31");
        using var citizen = new Citizen(_server);
        await citizen.ActivateAsync(activation);

        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid profile national_id offline_access");
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var tokens = await portal.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);

        Assert.Equal(200, tokens.Status);
        var id = TokenResponse.Claims(tokens.IdToken);
        Assert.Equal("Lê Văn Cường", id.GetProperty("name").GetString());
        Assert.Equal("1985-01-31", id.GetProperty("birthdate").GetString());
        Assert.Equal("001085000111", id.GetProperty("national_id").GetString());
        Assert.Equal("urn:eidentity:loa:substantial", id.GetProperty("acr").GetString());
        Assert.True(id.TryGetProperty("auth_time", out _));
        Assert.Equal(attempt.Nonce, id.GetProperty("nonce").GetString());
        Assert.NotNull(tokens.RefreshToken);
    }

    [Fact]
    public async Task Authorization_response_carries_state_and_names_the_issuer()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA);

        Assert.True(OidcTestKit.RedirectsTo(attempt.Response, TestPortals.PortalA.RedirectUri!), $"Went to {attempt.Location}");
        Assert.Equal(attempt.State, attempt.CallbackParameters["state"]);
        // RFC 9207: lets a portal that talks to several providers detect a mix-up.
        Assert.Equal(EIdentityServerFactory.Origin + "/", attempt.CallbackParameters["iss"]);
    }

    [Fact]
    public async Task Access_token_is_a_signed_jwt_with_who_and_how_but_no_personal_data()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, "openid profile national_id");

        Assert.Equal(3, tokens.AccessToken.Split('.').Length);
        var header = TokenResponse.Header(tokens.AccessToken);
        Assert.Equal("at+jwt", header.GetProperty("typ").GetString());
        Assert.False(header.TryGetProperty("enc", out _), "The access token is encrypted.");
        var claims = TokenResponse.Claims(tokens.AccessToken);
        Assert.Equal(TokenResponse.Claims(tokens.IdToken).GetProperty("sub").GetString(), claims.GetProperty("sub").GetString());
        Assert.Equal("urn:eidentity:loa:substantial", claims.GetProperty("acr").GetString());
        Assert.Equal(TestPortals.PortalA.ClientId, claims.GetProperty("client_id").GetString());
        Assert.False(claims.TryGetProperty("name", out _), "The access token carries the name.");
        Assert.False(claims.TryGetProperty("birthdate", out _), "The access token carries the birth date.");
        Assert.False(claims.TryGetProperty("national_id", out _), "The access token carries the national ID number.");
        Assert.False(claims.TryGetProperty("eid_pid", out _), "The access token carries the internal person id.");
        Assert.DoesNotContain(citizen.NationalId, tokens.AccessToken, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Id_token_says_when_and_how_the_citizen_authenticated()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var before = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds();

        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA);

        var claims = TokenResponse.Claims(tokens.IdToken);
        Assert.InRange(claims.GetProperty("auth_time").GetInt64(), before, DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
        Assert.Equal(System.Text.Json.JsonValueKind.Array, claims.GetProperty("amr").ValueKind);
        Assert.NotEmpty(OidcTestKit.Strings(claims.GetProperty("amr")));
        Assert.Equal("urn:eidentity:loa:substantial", claims.GetProperty("acr").GetString());
        Assert.False(string.IsNullOrEmpty(claims.GetProperty("sid").GetString()));
        Assert.Equal(TestPortals.PortalA.ClientId, claims.GetProperty("aud").GetString());
        Assert.False(claims.TryGetProperty("national_id", out _), "national_id was released without its scope.");
        Assert.False(claims.TryGetProperty("eid_pid", out _), "The ID token carries the internal person id.");
    }

    [Fact]
    public async Task Form_post_response_mode_delivers_the_code_in_a_self_submitting_form()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA,
            extra: new Dictionary<string, string?> { ["response_mode"] = "form_post" });

        await Expect.Status(HttpStatusCode.OK, attempt.Response);
        var html = await attempt.Response.Content.ReadAsStringAsync();
        Assert.Contains($"action=\"{TestPortals.PortalA.RedirectUri}\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"code\"", html, StringComparison.Ordinal);
        Assert.Contains($"value=\"{attempt.State}\"", html, StringComparison.Ordinal);
        // The form submits itself with an inline script; a CSP without 'unsafe-inline' would block it.
        Assert.DoesNotContain(attempt.Response.Headers, h => h.Key == "Content-Security-Policy"
            && h.Value.Any(v => v.Contains("default-src", StringComparison.Ordinal) && !v.Contains("unsafe-inline", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Reused_authorization_code_is_refused()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        Assert.Equal(200, (await portal.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier)).Status);

        var again = await portal.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);

        Assert.Equal(400, again.Status);
        Assert.Equal("invalid_grant", again.Error);
        Assert.Null(again["access_token"]);
    }

    [Fact]
    public async Task Reusing_an_authorization_code_revokes_the_tokens_it_gave()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA, "openid profile offline_access");
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var first = await portal.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);
        Assert.Equal(200, first.Status);

        // RFC 6749 4.1.2: a replayed code suggests it leaked; what it bought must stop working.
        Assert.Equal("invalid_grant", (await portal.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier)).Error);

        Assert.Equal("invalid_grant", (await portal.RefreshAsync(first.RefreshToken)).Error);
    }

    [Fact]
    public async Task Code_redeemed_with_the_wrong_code_verifier_is_refused()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var tokens = await portal.RedeemCodeAsync(attempt.Code, Pkce.Create().Verifier);

        Assert.Equal(400, tokens.Status);
        Assert.Equal("invalid_grant", tokens.Error);
        Assert.Null(tokens["access_token"]);
    }

    [Fact]
    public async Task Code_redeemed_without_a_code_verifier_is_refused()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var tokens = await portal.RedeemCodeAsync(attempt.Code, verifier: null);

        Assert.Equal(400, tokens.Status);
        Assert.True(tokens.Error is "invalid_request" or "invalid_grant", tokens.Raw);
        Assert.Null(tokens["access_token"]);
    }

    [Fact]
    public async Task Code_redeemed_with_a_different_redirect_uri_is_refused()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var tokens = await portal.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier, redirectUri: "https://portal-a.test/other");

        Assert.Equal(400, tokens.Status);
        Assert.Equal("invalid_grant", tokens.Error);
    }

    [Fact]
    public async Task Code_issued_to_one_portal_is_refused_to_another()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA);
        using var portalB = new PortalBackChannel(_server, TestPortals.PortalB);

        var tokens = await portalB.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier, TestPortals.PortalA.RedirectUri);

        Assert.Equal(400, tokens.Status);
        Assert.Equal("invalid_grant", tokens.Error);
    }

    [Fact]
    public async Task Confidential_portal_must_authenticate_to_redeem_a_code()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var tokens = await portal.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier, secret: "not-the-secret");

        Assert.Equal(401, tokens.Status);
        Assert.Equal("invalid_client", tokens.Error);
    }

    [Fact]
    public async Task Public_client_completes_the_code_flow_with_PKCE_alone()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PublicApp);
        using var app = new PortalBackChannel(_server, TestPortals.PublicApp);

        var tokens = await app.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);

        Assert.Equal(200, tokens.Status);
        Assert.Equal(citizen.Name, TokenResponse.Claims(tokens.IdToken).GetProperty("name").GetString());
    }
}
