using System.Net;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Oidc;

/// <summary>Authorization requests the server must refuse, and the prompt / max_age / acr_values rules.</summary>
public sealed class AuthorizationRequestTests(OidcServerFixture fixture) : IClassFixture<OidcServerFixture>
{
    private readonly EIdentityServerFactory _server = fixture.Server;

    [Fact]
    public async Task Unregistered_redirect_uri_shows_a_readable_error_page_and_is_never_followed()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA,
            extra: new Dictionary<string, string?> { ["redirect_uri"] = "https://attacker.test/signin-oidc" });

        Assert.Null(attempt.Location);
        await AssertReadableErrorPageAsync(attempt.Response, "invalid_request");
    }

    [Fact]
    public async Task Unknown_client_id_shows_a_readable_error_page_and_is_never_followed()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA,
            extra: new Dictionary<string, string?> { ["client_id"] = "no-such-portal" });

        Assert.Null(attempt.Location);
        await AssertReadableErrorPageAsync(attempt.Response, "invalid_request");
    }

    [Fact]
    public async Task Request_without_PKCE_is_refused()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA, codeChallengeMethod: null);

        Assert.Equal("invalid_request", await OidcTestKit.RefusalAsync(attempt, TestPortals.PortalA));
    }

    [Fact]
    public async Task Refusal_of_a_request_with_a_valid_client_and_redirect_uri_goes_back_to_the_portal()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA, codeChallengeMethod: null);

        AssertRefusedAtPortal(attempt, TestPortals.PortalA, "invalid_request");
    }

    [Fact]
    public async Task Plain_code_challenge_method_is_refused()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA, codeChallengeMethod: "plain");

        Assert.Equal("invalid_request", await OidcTestKit.RefusalAsync(attempt, TestPortals.PortalA));
    }

    [Theory]
    [InlineData("token")]
    [InlineData("id_token")]
    [InlineData("id_token token")]
    [InlineData("code id_token")]
    [InlineData("code token")]
    public async Task Implicit_and_hybrid_response_types_are_refused_and_no_token_is_issued(string responseType)
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA,
            extra: new Dictionary<string, string?> { ["response_type"] = responseType });

        Assert.Equal("unsupported_response_type", await OidcTestKit.RefusalAsync(attempt, TestPortals.PortalA));
    }

    [Fact]
    public async Task Scope_the_server_does_not_know_is_refused()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA, "openid profile email");

        Assert.Equal("invalid_scope", await OidcTestKit.RefusalAsync(attempt, TestPortals.PortalA));
    }

    [Fact]
    public async Task Prompt_none_without_a_session_returns_login_required()
    {
        using var citizen = new Citizen(_server);

        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA,
            extra: new Dictionary<string, string?> { ["prompt"] = "none" });

        AssertRefusedAtPortal(attempt, TestPortals.PortalA, "login_required");
    }

    [Fact]
    public async Task Prompt_none_with_a_session_returns_a_code_without_a_page()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA,
            extra: new Dictionary<string, string?> { ["prompt"] = "none" });

        Assert.True(OidcTestKit.RedirectsTo(attempt.Response, TestPortals.PortalA.RedirectUri!), $"Went to {attempt.Location}");
        Assert.NotEmpty(attempt.Code);
    }

    [Fact]
    public async Task Without_a_session_the_browser_is_sent_to_the_sign_in_page_and_back()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        await OidcTestKit.SignOutAsync(_server, citizen.Citizen);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA);
        var back = await OidcTestKit.SignInAndReturnAsync(citizen.Citizen, OidcTestKit.LoginReturnUrl(attempt), citizen.NationalId);

        var completed = attempt with { Response = back };
        Assert.True(OidcTestKit.RedirectsTo(back, TestPortals.PortalA.RedirectUri!), $"Went to {(int)back.StatusCode} {back.Headers.Location}");
        Assert.Equal(attempt.State, completed.CallbackParameters["state"]);
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        Assert.Equal(200, (await portal.RedeemCodeAsync(completed.Code, attempt.CodeVerifier)).Status);
    }

    [Fact]
    public async Task Level_high_cannot_be_reached_with_a_passkey()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA,
            extra: new Dictionary<string, string?> { ["acr_values"] = "urn:eidentity:loa:high" });

        AssertRefusedAtPortal(attempt, TestPortals.PortalA, "unmet_authentication_requirements");
    }

    [Fact]
    public async Task Level_substantial_is_reached_with_a_passkey()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA,
            extra: new Dictionary<string, string?> { ["acr_values"] = "urn:eidentity:loa:substantial" });
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var tokens = await portal.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);

        Assert.Equal("urn:eidentity:loa:substantial", TokenResponse.Claims(tokens.IdToken).GetProperty("acr").GetString());
    }

    [Fact]
    public async Task Prompt_login_sends_a_signed_in_citizen_to_the_sign_in_page()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA,
            extra: new Dictionary<string, string?> { ["prompt"] = "login" });

        Assert.True(attempt.WentToLogin, $"Went to {attempt.Location}");
    }

    [Fact]
    public async Task Prompt_login_completes_after_a_fresh_sign_in()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var before = TokenResponse.Claims((await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA)).IdToken);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA,
            extra: new Dictionary<string, string?> { ["prompt"] = "login" });
        var back = await OidcTestKit.SignInAndReturnAsync(citizen.Citizen, OidcTestKit.LoginReturnUrl(attempt), citizen.NationalId);

        Assert.True(OidcTestKit.RedirectsTo(back, TestPortals.PortalA.RedirectUri!), $"Went to {(int)back.StatusCode} {back.Headers.Location}");
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var tokens = await portal.RedeemCodeAsync((attempt with { Response = back }).Code, attempt.CodeVerifier);
        var after = TokenResponse.Claims(tokens.IdToken);
        Assert.NotEqual(before.GetProperty("sid").GetString(), after.GetProperty("sid").GetString());
        Assert.True(after.GetProperty("auth_time").GetInt64() >= before.GetProperty("auth_time").GetInt64());
    }

    [Fact]
    public async Task Prompt_login_is_not_satisfied_by_a_sign_in_from_before_the_request()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        // Sign in and ask with prompt=login within one wall-clock second, as a fast portal would.
        while (DateTimeOffset.UtcNow.Millisecond > 100)
        {
            await Task.Delay(10);
        }

        await Expect.Status(HttpStatusCode.OK, await citizen.Citizen.SignInAsync(citizen.NationalId));
        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA,
            extra: new Dictionary<string, string?> { ["prompt"] = "login" });
        var returnUrl = OidcTestKit.LoginReturnUrl(attempt);

        // The browser comes back without signing in again.
        var back = await citizen.Browser.GetAsync(new Uri(returnUrl, UriKind.Relative));

        Assert.True((attempt with { Response = back }).WentToLogin, $"prompt=login was satisfied by the earlier sign-in: {back.Headers.Location}");
    }

    [Fact]
    public async Task Max_age_0_sends_a_signed_in_citizen_to_the_sign_in_page()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA,
            extra: new Dictionary<string, string?> { ["max_age"] = "0" });

        Assert.True(attempt.WentToLogin, $"Went to {attempt.Location}");
    }

    [Fact]
    public async Task Max_age_0_completes_after_a_fresh_sign_in()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA,
            extra: new Dictionary<string, string?> { ["max_age"] = "0" });
        var back = await OidcTestKit.SignInAndReturnAsync(citizen.Citizen, OidcTestKit.LoginReturnUrl(attempt), citizen.NationalId);

        // OIDC Core 3.1.2.1: max_age=0 is prompt=login; the sign-in that just happened satisfies it.
        Assert.True(OidcTestKit.RedirectsTo(back, TestPortals.PortalA.RedirectUri!), $"Sent back to {(int)back.StatusCode} {back.Headers.Location}");
        Assert.NotEmpty((attempt with { Response = back }).Code);
    }

    [Fact]
    public async Task Max_age_longer_than_the_session_needs_no_new_sign_in()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA,
            extra: new Dictionary<string, string?> { ["max_age"] = "3600" });
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var tokens = await portal.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);

        // OIDC Core 3.1.2.1: with max_age the ID token must carry auth_time.
        Assert.True(TokenResponse.Claims(tokens.IdToken).TryGetProperty("auth_time", out _));
    }

    private static void AssertRefusedAtPortal(AuthorizationAttempt attempt, TestPortal portal, string error)
    {
        Assert.True(OidcTestKit.RedirectsTo(attempt.Response, portal.RedirectUri!), $"Went to {(int)attempt.Response.StatusCode} {attempt.Location}");
        Assert.Equal(error, attempt.Error);
        Assert.Equal(attempt.State, attempt.CallbackParameters["state"]);
        Assert.False(attempt.CallbackParameters.ContainsKey("code"), $"A code was issued: {attempt.Location}");
    }

    private static async Task AssertReadableErrorPageAsync(HttpResponseMessage response, string error)
    {
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {html}");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<h1>", html, StringComparison.Ordinal);
        Assert.Equal(error, OidcTestKit.ErrorOnPage(html));
        Assert.DoesNotContain("Exception", html, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", html, StringComparison.Ordinal);
    }
}
