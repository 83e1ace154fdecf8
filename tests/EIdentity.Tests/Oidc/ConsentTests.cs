using System.Net;
using EIdentity.Server.Oidc;
using EIdentity.Server.Persistence;
using EIdentity.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EIdentity.Tests.Oidc;

/// <summary>
/// The consent screen: a portal that is not first-party receives personal data only after the
/// citizen approved it, once per item of data; the answer is remembered until withdrawn.
/// </summary>
public sealed class ConsentTests(OidcServerFixture fixture) : IClassFixture<OidcServerFixture>
{
    private static readonly TestPortal Portal = TestPortals.ThirdParty;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly EIdentityServerFactory _server = fixture.Server;

    [Fact]
    public async Task First_request_for_personal_data_shows_the_portal_and_the_data_and_approval_completes_the_sign_in()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server, "Lê Văn Cường", "1988-04-09");

        var attempt = await citizen.Citizen.AuthorizeAsync(Portal, "openid profile");
        var screen = await ConsentScreen.OpenAsync(citizen.Citizen, attempt.Response);
        var back = attempt with { Response = await screen.AnswerAsync(citizen.Citizen, "approve") };

        Assert.Contains(Portal.DisplayName, screen.Html, StringComparison.Ordinal);
        Assert.Contains("Họ và tên", screen.AskedItems, StringComparison.Ordinal);
        Assert.Contains("Lê Văn Cường", screen.AskedItems, StringComparison.Ordinal);
        Assert.Contains("09/04/1988", screen.AskedItems, StringComparison.Ordinal);
        Assert.DoesNotContain("Số định danh", screen.AskedItems, StringComparison.Ordinal);
        Assert.Contains("Đồng ý", screen.Html, StringComparison.Ordinal);
        Assert.Contains("Từ chối", screen.Html, StringComparison.Ordinal);
        Assert.True(OidcTestKit.RedirectsTo(back.Response, Portal.RedirectUri!), $"Went to {(int)back.Response.StatusCode} {back.Location}");
        Assert.Equal(attempt.State, back.CallbackParameters["state"]);
        using var portal = new PortalBackChannel(_server, Portal);
        var tokens = await portal.RedeemCodeAsync(back.Code, attempt.CodeVerifier);
        Assert.Equal("Lê Văn Cường", TokenResponse.Claims(tokens.IdToken).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Approved_consent_is_remembered_and_the_next_sign_in_shows_no_screen()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        await ApproveAsync(citizen, "openid profile");

        var again = await citizen.Citizen.AuthorizeAsync(Portal, "openid profile");

        Assert.True(OidcTestKit.RedirectsTo(again.Response, Portal.RedirectUri!), $"Went to {(int)again.Response.StatusCode} {again.Location}");
        Assert.NotEmpty(again.Code);
        var audit = await AuditAsync(citizen.PersonId, "consent.granted");
        var granted = Assert.Single(audit);
        Assert.Equal(("citizen", Portal.ClientId, "profile"), (granted.Actor, granted.Target, granted.Detail));
    }

    [Fact]
    public async Task National_id_is_named_on_the_screen_but_shown_masked()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(Portal, "openid national_id");
        var screen = await ConsentScreen.OpenAsync(citizen.Citizen, attempt.Response);

        Assert.Contains("Số định danh cá nhân", screen.AskedItems, StringComparison.Ordinal);
        Assert.Contains(citizen.NationalId[^4..], screen.AskedItems, StringComparison.Ordinal);
        Assert.DoesNotContain(citizen.NationalId, screen.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("Họ và tên", screen.AskedItems, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Asking_for_more_data_asks_again_for_the_new_item_only()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        await ApproveAsync(citizen, "openid profile");

        var more = await citizen.Citizen.AuthorizeAsync(Portal, "openid profile national_id");
        var screen = await ConsentScreen.OpenAsync(citizen.Citizen, more.Response);
        var approved = more with { Response = await screen.AnswerAsync(citizen.Citizen, "approve") };
        var third = await citizen.Citizen.AuthorizeAsync(Portal, "openid profile national_id");

        Assert.Contains("Số định danh cá nhân", screen.AskedItems, StringComparison.Ordinal);
        Assert.DoesNotContain("Họ và tên", screen.AskedItems, StringComparison.Ordinal);
        Assert.Contains("id=\"consent-already\"", screen.Html, StringComparison.Ordinal);
        using var portal = new PortalBackChannel(_server, Portal);
        var tokens = await portal.RedeemCodeAsync(approved.Code, more.CodeVerifier);
        Assert.Equal(citizen.NationalId, TokenResponse.Claims(tokens.IdToken).GetProperty("national_id").GetString());
        Assert.NotEmpty(third.Code);
    }

    [Fact]
    public async Task Denying_sends_access_denied_to_the_portal_remembers_nothing_and_is_audited()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(Portal, "openid profile national_id");
        var screen = await ConsentScreen.OpenAsync(citizen.Citizen, attempt.Response);
        var denied = attempt with { Response = await screen.AnswerAsync(citizen.Citizen, "deny") };
        var again = await citizen.Citizen.AuthorizeAsync(Portal, "openid profile national_id");

        Assert.True(OidcTestKit.RedirectsTo(denied.Response, Portal.RedirectUri!), $"Went to {(int)denied.Response.StatusCode} {denied.Location}");
        Assert.Equal("access_denied", denied.Error);
        Assert.Equal(attempt.State, denied.CallbackParameters["state"]);
        Assert.False(denied.CallbackParameters.ContainsKey("code"));
        Assert.True(ConsentScreen.IsShownBy(again.Response), $"Not asked again after denying: {again.Location}");
        var audit = Assert.Single(await AuditAsync(citizen.PersonId, "consent.denied"));
        Assert.Equal(("citizen", Portal.ClientId, "profile national_id"), (audit.Actor, audit.Target, audit.Detail));
        Assert.Empty(await AuditAsync(citizen.PersonId, "consent.granted"));
    }

    [Fact]
    public async Task Prompt_none_when_consent_is_needed_returns_consent_required()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(Portal, "openid profile",
            new Dictionary<string, string?> { ["prompt"] = "none" });

        Assert.True(OidcTestKit.RedirectsTo(attempt.Response, Portal.RedirectUri!), $"Went to {(int)attempt.Response.StatusCode} {attempt.Location}");
        Assert.Equal("consent_required", attempt.Error);
        Assert.Equal(attempt.State, attempt.CallbackParameters["state"]);
    }

    [Fact]
    public async Task Prompt_none_after_consent_was_given_returns_a_code()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        await ApproveAsync(citizen, "openid profile");

        var attempt = await citizen.Citizen.AuthorizeAsync(Portal, "openid profile",
            new Dictionary<string, string?> { ["prompt"] = "none" });

        Assert.NotEmpty(attempt.Code);
    }

    [Fact]
    public async Task Prompt_consent_shows_the_screen_even_when_remembered_and_approving_it_completes()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        await ApproveAsync(citizen, "openid profile");

        var attempt = await citizen.Citizen.AuthorizeAsync(Portal, "openid profile",
            new Dictionary<string, string?> { ["prompt"] = "consent" });
        var screen = await ConsentScreen.OpenAsync(citizen.Citizen, attempt.Response);
        var back = attempt with { Response = await screen.AnswerAsync(citizen.Citizen, "approve") };

        Assert.Contains("Họ và tên", screen.AskedItems, StringComparison.Ordinal);
        Assert.True(OidcTestKit.RedirectsTo(back.Response, Portal.RedirectUri!), $"Went to {(int)back.Response.StatusCode} {back.Location}");
        Assert.NotEmpty(back.Code);
    }

    [Fact]
    public async Task First_party_portal_never_shows_the_screen_even_with_prompt_consent()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA, "openid profile national_id",
            new Dictionary<string, string?> { ["prompt"] = "consent" });

        Assert.True(OidcTestKit.RedirectsTo(attempt.Response, TestPortals.PortalA.RedirectUri!), $"Went to {(int)attempt.Response.StatusCode} {attempt.Location}");
        Assert.NotEmpty(attempt.Code);
    }

    [Fact]
    public async Task Request_without_personal_data_needs_no_consent()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var attempt = await citizen.Citizen.AuthorizeAsync(Portal, "openid");

        Assert.NotEmpty(attempt.Code);
    }

    [Fact]
    public async Task Revoked_consent_is_asked_again_and_the_old_refresh_token_is_refused()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var tokens = await ApproveAsync(citizen, "openid profile offline_access");
        using var portal = new PortalBackChannel(_server, Portal);
        var refreshed = await portal.RefreshAsync(tokens.RefreshToken);
        Assert.Equal(200, refreshed.Status);

        bool revoked;
        await using (var scope = _server.Services.CreateAsyncScope())
        {
            revoked = await scope.ServiceProvider.GetRequiredService<ConnectedPortals>().RevokeAsync(citizen.PersonId, Portal.ClientId, "citizen", Ct);
        }

        var refreshAfter = await portal.RefreshAsync(refreshed.RefreshToken);
        var introspected = await portal.IntrospectAsync(refreshed.AccessToken);
        var again = await citizen.Citizen.AuthorizeAsync(Portal, "openid profile offline_access");

        Assert.True(revoked);
        Assert.Equal("invalid_grant", refreshAfter.Error);
        Assert.Equal("false", introspected["active"]);
        Assert.True(ConsentScreen.IsShownBy(again.Response), $"Not asked again after revoking: {again.Location}");
    }

    [Fact]
    public async Task Approval_posted_without_the_consent_page_is_not_accepted()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var attempt = await citizen.Citizen.AuthorizeAsync(Portal, "openid profile");
        var screen = await ConsentScreen.OpenAsync(citizen.Citizen, attempt.Response);

        // A portal (or any other site) can make the browser send the request with an answer, but
        // has neither the antiforgery token nor, via GET, any way past it.
        var forgedPost = await ConsentScreen.PostAsync(citizen.Citizen,
            [.. screen.Fields.Where(f => f.Key != "__RequestVerificationToken"), new("eid_consent", "approve")]);
        var withoutTicket = await ConsentScreen.PostAsync(citizen.Citizen,
            [.. screen.Fields.Where(f => f.Key != "eid_consent_ticket"), new("eid_consent", "approve")]);
        var forgedTicket = await ConsentScreen.PostAsync(citizen.Citizen,
            [.. screen.Fields.Select(f => f.Key == "eid_consent_ticket" ? new(f.Key, f.Value[..^4] + "AAAA") : f), new("eid_consent", "approve")]);
        var viaGet = await citizen.Browser.GetAsync(Url("/connect/authorize",
            [.. screen.Fields.Where(f => f.Key != "__RequestVerificationToken"), new("eid_consent", "approve")]), Ct);

        Assert.All([forgedPost, withoutTicket, forgedTicket, viaGet],
            response => Assert.True(ConsentScreen.IsShownBy(response), $"An answer without the page was taken: {(int)response.StatusCode} {response.Headers.Location}"));
        Assert.Empty(await AuditAsync(citizen.PersonId, "consent.granted"));
    }

    [Fact]
    public async Task Answer_from_another_session_is_not_accepted()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var attempt = await citizen.Citizen.AuthorizeAsync(Portal, "openid profile");
        var screen = await ConsentScreen.OpenAsync(citizen.Citizen, attempt.Response);

        // The citizen signs in again (a new session) before answering the page of the old one.
        await Expect.Status(HttpStatusCode.OK, await citizen.Citizen.SignInAsync(citizen.NationalId));
        var answer = await screen.AnswerAsync(citizen.Citizen, "approve");

        Assert.True(ConsentScreen.IsShownBy(answer), $"The old session's answer was taken: {(int)answer.StatusCode} {answer.Headers.Location}");
    }

    [Fact]
    public async Task Consent_through_a_pushed_authorization_request_completes()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var pkce = Pkce.Create();
        using var portal = new PortalBackChannel(_server, Portal);
        var pushed = await portal.PushAuthorizationRequestAsync(new()
        {
            ["redirect_uri"] = Portal.RedirectUri,
            ["response_type"] = "code",
            ["scope"] = "openid profile national_id",
            ["state"] = "par-state",
            ["code_challenge"] = pkce.Challenge,
            ["code_challenge_method"] = "S256",
        });
        Assert.Equal(201, pushed.Status);

        var attempt = await citizen.Citizen.GetAuthorizeAsync(
            $"/connect/authorize?client_id={Portal.ClientId}&request_uri={Uri.EscapeDataString(pushed["request_uri"]!)}", pkce.Verifier);
        var screen = await ConsentScreen.OpenAsync(citizen.Citizen, attempt.Response);
        var back = attempt with { Response = await screen.AnswerAsync(citizen.Citizen, "approve") };

        Assert.Contains("Số định danh cá nhân", screen.AskedItems, StringComparison.Ordinal);
        Assert.Contains("Họ và tên", screen.AskedItems, StringComparison.Ordinal);
        Assert.True(OidcTestKit.RedirectsTo(back.Response, Portal.RedirectUri!), $"Went to {(int)back.Response.StatusCode} {back.Location}");
        Assert.Equal("par-state", back.CallbackParameters["state"]);
        var tokens = await portal.RedeemCodeAsync(back.Code, pkce.Verifier);
        Assert.Equal(citizen.NationalId, TokenResponse.Claims(tokens.IdToken).GetProperty("national_id").GetString());
    }

    [Fact]
    public async Task Consent_page_speaks_English_on_request()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        await citizen.Browser.GetAsync(new Uri("/language/en?returnUrl=/", UriKind.Relative), Ct);

        var attempt = await citizen.Citizen.AuthorizeAsync(Portal, "openid profile national_id");
        var screen = await ConsentScreen.OpenAsync(citizen.Citizen, attempt.Response);

        Assert.Contains("asks to receive the following information about you", screen.Html, StringComparison.Ordinal);
        Assert.Contains("Full name", screen.AskedItems, StringComparison.Ordinal);
        Assert.Contains("Personal identification number", screen.AskedItems, StringComparison.Ordinal);
        Assert.Contains(">Allow<", screen.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Consent_page_without_a_valid_ticket_restarts_the_authorization_request()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var attempt = await citizen.Citizen.AuthorizeAsync(Portal, "openid profile");
        var screen = await ConsentScreen.OpenAsync(citizen.Citizen, attempt.Response);

        var tampered = await citizen.Browser.GetAsync(Url("/account/consent",
            [.. screen.RequestParameters, new("eid_consent_ticket", "not-a-ticket")]), Ct);

        Assert.Equal(HttpStatusCode.Redirect, tampered.StatusCode);
        Assert.StartsWith("/connect/authorize?", tampered.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.DoesNotContain("eid_consent_ticket", tampered.Headers.Location.OriginalString, StringComparison.Ordinal);
    }

    private static Uri Url(string path, IEnumerable<KeyValuePair<string, string>> query) =>
        new(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(path, query.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value))), UriKind.Relative);

    private async Task<TokenResponse> ApproveAsync(SignedInCitizen citizen, string scope)
    {
        var attempt = await citizen.Citizen.AuthorizeAsync(Portal, scope);
        var screen = await ConsentScreen.OpenAsync(citizen.Citizen, attempt.Response);
        var back = attempt with { Response = await screen.AnswerAsync(citizen.Citizen, "approve") };
        using var portal = new PortalBackChannel(_server, Portal);
        var tokens = await portal.RedeemCodeAsync(back.Code, attempt.CodeVerifier);
        Assert.True(tokens.Status == 200, $"Code redemption failed: {tokens.Status} {tokens.Raw}");
        return tokens;
    }

    private async Task<List<EIdentity.Server.Audit.AuditEvent>> AuditAsync(Guid personId, string type)
    {
        await using var scope = _server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EIdentityDbContext>().AuditEvents.AsNoTracking()
            .Where(e => e.PersonId == personId && e.Type == type).ToListAsync(Ct);
    }
}
