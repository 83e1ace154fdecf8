using System.Net;
using System.Text.RegularExpressions;
using EIdentity.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace EIdentity.Tests.Oidc;

/// <summary>OpenID Connect RP-Initiated Logout 1.0.</summary>
public sealed partial class EndSessionTests(OidcServerFixture fixture) : IClassFixture<OidcServerFixture>
{
    private readonly EIdentityServerFactory _server = fixture.Server;

    [Fact]
    public async Task Logout_with_id_token_hint_returns_to_the_portal_with_state_and_ends_the_session()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA);

        var response = await EndSessionAsync(citizen.Citizen, new()
        {
            ["id_token_hint"] = tokens.IdToken,
            ["post_logout_redirect_uri"] = TestPortals.PortalA.PostLogoutRedirectUri,
            ["state"] = "af0ifjsldkj",
        });

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.True(OidcTestKit.RedirectsTo(response, TestPortals.PortalA.PostLogoutRedirectUri!), $"Went to {response.Headers.Location}");
        Assert.Equal("af0ifjsldkj", OidcTestKit.RedirectParameters(response.Headers.Location)["state"]);
        Assert.True((await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA)).WentToLogin, "The session outlived the logout.");
        Assert.True((await citizen.Citizen.AuthorizeAsync(TestPortals.PortalB)).WentToLogin, "Portal B still gets codes from the ended session.");
    }

    [Fact]
    public async Task Logout_without_post_logout_redirect_uri_ends_on_the_signed_out_page()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA);

        var response = await EndSessionAsync(citizen.Citizen, new() { ["id_token_hint"] = tokens.IdToken });

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/signed-out", PathOf(response.Headers.Location));
        Assert.True((await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA)).WentToLogin, "The session outlived the logout.");
    }

    [Fact]
    public async Task Logout_when_already_signed_out_still_returns_to_the_portal()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA);
        var parameters = new Dictionary<string, string?>
        {
            ["id_token_hint"] = tokens.IdToken,
            ["post_logout_redirect_uri"] = TestPortals.PortalA.PostLogoutRedirectUri,
            ["state"] = "second",
        };
        Assert.Equal(HttpStatusCode.Redirect, (await EndSessionAsync(citizen.Citizen, parameters)).StatusCode);

        var response = await EndSessionAsync(citizen.Citizen, parameters);

        Assert.True(OidcTestKit.RedirectsTo(response, TestPortals.PortalA.PostLogoutRedirectUri!), $"Went to {(int)response.StatusCode} {response.Headers.Location}");
        Assert.Equal("second", OidcTestKit.RedirectParameters(response.Headers.Location)["state"]);
    }

    [Fact]
    public async Task Unregistered_post_logout_redirect_uri_is_refused_and_not_followed()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA);

        var response = await EndSessionAsync(citizen.Citizen, new()
        {
            ["id_token_hint"] = tokens.IdToken,
            ["post_logout_redirect_uri"] = "https://attacker.test/signed-out",
            ["state"] = "xyz",
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("invalid_request", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_logout_redirect_uri_of_another_portal_is_refused()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA);

        var response = await EndSessionAsync(citizen.Citizen, new()
        {
            ["id_token_hint"] = tokens.IdToken,
            ["post_logout_redirect_uri"] = TestPortals.PortalB.PostLogoutRedirectUri,
        });

        Assert.False(OidcTestKit.RedirectsTo(response, TestPortals.PortalB.PostLogoutRedirectUri!), $"Went to {response.Headers.Location}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Logout_without_id_token_hint_asks_the_citizen_first_and_keeps_the_session()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var response = await EndSessionAsync(citizen.Citizen, new()
        {
            ["client_id"] = TestPortals.PortalA.ClientId,
            ["post_logout_redirect_uri"] = TestPortals.PortalA.PostLogoutRedirectUri,
            ["state"] = "s1",
        });

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/logout", PathOf(response.Headers.Location));
        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA);
        Assert.True(attempt.CallbackParameters.ContainsKey("code"), $"The session ended without the citizen's consent: {attempt.Location}");
    }

    [Fact]
    public async Task Logout_with_an_id_token_from_another_session_asks_the_citizen_first()
    {
        using var other = await OidcTestKit.SignedInCitizenAsync(_server);
        var foreignIdToken = (await OidcTestKit.CodeFlowAsync(_server, other.Citizen, TestPortals.PortalA)).IdToken;
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var response = await EndSessionAsync(citizen.Citizen, new() { ["id_token_hint"] = foreignIdToken });

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/logout", PathOf(response.Headers.Location));
        Assert.True((await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA)).CallbackParameters.ContainsKey("code"),
            "Another session's ID token ended this session.");
    }

    [Fact]
    public async Task Citizen_who_confirms_the_logout_page_is_signed_out_and_returned_to_the_portal()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var asked = await EndSessionAsync(citizen.Citizen, new()
        {
            ["client_id"] = TestPortals.PortalA.ClientId,
            ["post_logout_redirect_uri"] = TestPortals.PortalA.PostLogoutRedirectUri,
            ["state"] = "s2",
        });
        var page = await citizen.Browser.GetAsync(asked.Headers.Location!);
        await Expect.Status(HttpStatusCode.OK, page);

        var form = HiddenFields(await page.Content.ReadAsStringAsync());
        Assert.Contains("__RequestVerificationToken", form.Keys);
        using var content = new FormUrlEncodedContent(form);
        var confirmed = await citizen.Browser.PostAsync(new Uri("/connect/endsession", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.Redirect, confirmed.StatusCode);
        Assert.True(OidcTestKit.RedirectsTo(confirmed, TestPortals.PortalA.PostLogoutRedirectUri!), $"Went to {confirmed.Headers.Location}");
        Assert.Equal("s2", OidcTestKit.RedirectParameters(confirmed.Headers.Location)["state"]);
        Assert.True((await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA)).WentToLogin, "The confirmed logout left the session alive.");
    }

    [Fact]
    public async Task Forged_logout_confirmation_without_antiforgery_token_keeps_the_session()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        using var forged = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = TestPortals.PortalA.ClientId,
            ["confirm"] = "1",
        });

        var response = await citizen.Browser.PostAsync(new Uri("/connect/endsession", UriKind.Relative), forged);

        Assert.Equal("/account/logout", PathOf(response.Headers.Location));
        Assert.True((await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA)).CallbackParameters.ContainsKey("code"),
            "A cross-site form ended the session.");
    }

    private static Task<HttpResponseMessage> EndSessionAsync(Citizen citizen, Dictionary<string, string?> parameters) =>
        citizen.Browser.GetAsync(new Uri(QueryHelpers.AddQueryString("/connect/endsession", parameters), UriKind.Relative));

    private static string? PathOf(Uri? location) =>
        location is null ? null : location.IsAbsoluteUri ? location.AbsolutePath : location.OriginalString.Split('?')[0];

    private static Dictionary<string, string> HiddenFields(string html) =>
        HiddenInput().Matches(html).ToDictionary(
            m => WebUtility.HtmlDecode(m.Groups["name"].Value),
            m => WebUtility.HtmlDecode(m.Groups["value"].Value));

    [GeneratedRegex("<input[^>]*?name=\"(?<name>[^\"]+)\"[^>]*?type=\"hidden\"[^>]*?value=\"(?<value>[^\"]*)\"|<input[^>]*?type=\"hidden\"[^>]*?name=\"(?<name>[^\"]+)\"[^>]*?value=\"(?<value>[^\"]*)\"")]
    private static partial Regex HiddenInput();
}
