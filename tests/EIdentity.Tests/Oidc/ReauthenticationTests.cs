using System.Net;
using EIdentity.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EIdentity.Tests.Oidc;

/// <summary>One server whose clock the tests move: sessions age without waiting.</summary>
public sealed class ClockedServerFixture : IAsyncDisposable
{
    public ClockedServerFixture() => Server = new EIdentityServerFactory(clock: Clock);

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public EIdentityServerFactory Server { get; }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}

/// <summary>
/// OIDC Core 3.1.2.1 prompt and max_age: a session older than the portal allows, or any session
/// with prompt=login, needs a fresh sign-in, and the ID token's auth_time says when it happened.
/// </summary>
public sealed class ReauthenticationTests(ClockedServerFixture fixture) : IClassFixture<ClockedServerFixture>
{
    private readonly EIdentityServerFactory _server = fixture.Server;
    private readonly FakeTimeProvider _clock = fixture.Clock;

    [Fact]
    public async Task Session_younger_than_max_age_needs_no_sign_in_and_auth_time_is_when_it_started()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var signedInAt = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromMinutes(4));

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA, "openid", MaxAge(300));

        Assert.Equal(signedInAt.ToUnixTimeSeconds(), (await RedeemAsync(attempt)).GetProperty("auth_time").GetInt64());
    }

    [Fact]
    public async Task Session_older_than_max_age_asks_to_sign_in_again_and_auth_time_is_the_new_sign_in()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var firstSignIn = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromMinutes(6));

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA, "openid", MaxAge(300));
        var returnUrl = OidcTestKit.LoginReturnUrl(attempt);
        var backWithoutSigningIn = await citizen.Browser.GetAsync(new Uri(returnUrl, UriKind.Relative));
        _clock.Advance(TimeSpan.FromSeconds(20));
        var secondSignIn = _clock.GetUtcNow();
        var back = await OidcTestKit.SignInAndReturnAsync(citizen.Citizen, returnUrl, citizen.NationalId);

        Assert.True((attempt with { Response = backWithoutSigningIn }).WentToLogin, $"The old session was accepted: {backWithoutSigningIn.Headers.Location}");
        var claims = await RedeemAsync(attempt with { Response = back });
        Assert.Equal(secondSignIn.ToUnixTimeSeconds(), claims.GetProperty("auth_time").GetInt64());
        Assert.NotEqual(firstSignIn.ToUnixTimeSeconds(), claims.GetProperty("auth_time").GetInt64());
    }

    [Fact]
    public async Task Prompt_none_with_a_session_older_than_max_age_returns_login_required()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        _clock.Advance(TimeSpan.FromMinutes(6));

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA, "openid",
            new Dictionary<string, string?> { ["max_age"] = "300", ["prompt"] = "none" });

        Assert.True(OidcTestKit.RedirectsTo(attempt.Response, TestPortals.PortalA.RedirectUri!), $"Went to {(int)attempt.Response.StatusCode} {attempt.Location}");
        Assert.Equal("login_required", attempt.Error);
    }

    [Fact]
    public async Task Prompt_login_asks_to_sign_in_again_and_auth_time_is_the_new_sign_in()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        _clock.Advance(TimeSpan.FromMinutes(2));

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA, "openid", new Dictionary<string, string?> { ["prompt"] = "login" });
        _clock.Advance(TimeSpan.FromSeconds(30));
        var signedInAgainAt = _clock.GetUtcNow();
        var back = await OidcTestKit.SignInAndReturnAsync(citizen.Citizen, OidcTestKit.LoginReturnUrl(attempt), citizen.NationalId);

        Assert.Equal(signedInAgainAt.ToUnixTimeSeconds(), (await RedeemAsync(attempt with { Response = back })).GetProperty("auth_time").GetInt64());
    }

    [Fact]
    public async Task Prompt_login_for_a_third_party_portal_signs_in_then_asks_for_consent_once()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        _clock.Advance(TimeSpan.FromMinutes(1));

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.ThirdParty, "openid profile", new Dictionary<string, string?> { ["prompt"] = "login" });
        var afterSignIn = await OidcTestKit.SignInAndReturnAsync(citizen.Citizen, OidcTestKit.LoginReturnUrl(attempt), citizen.NationalId);
        var screen = await ConsentScreen.OpenAsync(citizen.Citizen, afterSignIn);
        var back = attempt with { Response = await screen.AnswerAsync(citizen.Citizen, "approve") };

        // The answer completes the request: prompt=login was met by the sign-in before the page.
        Assert.True(OidcTestKit.RedirectsTo(back.Response, TestPortals.ThirdParty.RedirectUri!), $"Went to {(int)back.Response.StatusCode} {back.Location}");
        using var portal = new PortalBackChannel(_server, TestPortals.ThirdParty);
        Assert.Equal(200, (await portal.RedeemCodeAsync(back.Code, attempt.CodeVerifier)).Status);
    }

    [Fact]
    public async Task Consent_page_answered_after_the_ticket_expired_is_shown_again()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.ThirdParty, "openid profile");
        var screen = await ConsentScreen.OpenAsync(citizen.Citizen, attempt.Response);
        _clock.Advance(TimeSpan.FromMinutes(11));

        var late = await screen.AnswerAsync(citizen.Citizen, "approve");

        Assert.True(ConsentScreen.IsShownBy(late), $"An expired answer was taken: {(int)late.StatusCode} {late.Headers.Location}");
    }

    private static Dictionary<string, string?> MaxAge(int seconds) =>
        new() { ["max_age"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private async Task<System.Text.Json.JsonElement> RedeemAsync(AuthorizationAttempt attempt)
    {
        Assert.True(attempt.Response.StatusCode == HttpStatusCode.Redirect && attempt.CallbackParameters.ContainsKey("code"),
            $"No code: {(int)attempt.Response.StatusCode} {attempt.Location}");
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var tokens = await portal.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);
        Assert.True(tokens.Status == 200, $"Code redemption failed: {tokens.Status} {tokens.Raw}");
        return TokenResponse.Claims(tokens.IdToken);
    }
}
