using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using EIdentity.Server.Persistence;
using EIdentity.Server.Sessions;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace EIdentity.Tests.Sessions;

/// <summary>
/// The identity provider (in process, background sender running) and the two sample portals
/// "Dịch vụ công" and "Thuế điện tử" on real Kestrel on loopback, registered with their
/// back-channel logout URIs as an operator would. The poll interval is an hour, so a logout that
/// arrives at once was sent because the session ended, not because a poll came round.
/// </summary>
public sealed class TwoPortalsFixture : IAsyncLifetime
{
    public EIdentityServerFactory Server { get; } = new(overrides: new() { ["Sessions:BackchannelLogout:PollInterval"] = "01:00:00" });

    public SamplePortalHost PublicServices { get; private set; } = null!;

    public SamplePortalHost Tax { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        PublicServices = await SamplePortalHost.StartAsync(Server, "dichvucong-portal", "Dịch vụ công", "portal-dichvucong");
        Tax = await SamplePortalHost.StartAsync(Server, "thue-portal", "Thuế điện tử", "portal-thue");
        await PublicServices.RegisterAtAsync(Server);
        await Tax.RegisterAtAsync(Server);
    }

    public async ValueTask DisposeAsync()
    {
        if (PublicServices is not null)
        {
            await PublicServices.DisposeAsync();
        }

        if (Tax is not null)
        {
            await Tax.DisposeAsync();
        }

        await Server.DisposeAsync();
    }
}

/// <summary>OpenID Connect Back-Channel Logout 1.0 end to end, and the sample portal's validation of logout tokens (section 2.6).</summary>
public sealed class BackchannelLogoutPortalTests(TwoPortalsFixture fixture) : IClassFixture<TwoPortalsFixture>
{
    private const string Issuer = EIdentityServerFactory.Origin + "/";
    private const string LogoutEvent = "http://schemas.openid.net/event/backchannel-logout";

    private readonly EIdentityServerFactory _server = fixture.Server;
    private readonly SamplePortalHost _publicServices = fixture.PublicServices;
    private readonly SamplePortalHost _tax = fixture.Tax;

    [Fact(Timeout = 120_000)]
    public async Task Logout_at_one_portal_ends_the_citizens_session_at_the_other_through_the_back_channel()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        using var browser = new PortalsBrowser(citizen.Browser);
        using var watch = new DeliveryWatch(_tax.ClientId);

        // Signed in at both portals through the one SSO session.
        await ExpectPageAsync(await browser.GetAsync(_publicServices.Origin + "/profile"), _publicServices.Origin + "/profile");
        await ExpectPageAsync(await browser.GetAsync(_tax.Origin + "/profile"), _tax.Origin + "/profile");
        var sessionId = await SessionIdAsync(citizen.PersonId);

        // The citizen signs out at Dịch vụ công (RP-initiated logout).
        await ExpectPageAsync(await browser.SubmitAsync(_publicServices.Origin + "/signout"), _publicServices.Origin + "/");

        Assert.Equal("delivered", await watch.NextOutcomeAsync());
        Assert.True(_tax.LoggedOut.Contains(sessionId), "Thuế điện tử was not told that the session ended.");
        Assert.False(_publicServices.LoggedOut.Contains(sessionId), "Dịch vụ công asked for the logout; it needs no logout token.");
        var delivery = Assert.Single(await DeliveriesAsync(sessionId));
        Assert.Equal((_tax.ClientId, LogoutDeliveryStatus.Delivered), (delivery.ClientId, delivery.Status));

        // Thuế điện tử's own session is gone: its protected page sends the citizen to sign in...
        var again = await browser.GetOnceAsync(_tax.Origin + "/profile");
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.StartsWith("/signin", again.Headers.Location!.IsAbsoluteUri ? again.Headers.Location.PathAndQuery : again.Headers.Location.OriginalString, StringComparison.Ordinal);

        // ...and as the provider's session ended too, signing in there needs the key again.
        var signIn = await browser.GetAsync(_tax.Origin + "/profile");
        Assert.Equal(EIdentityServerFactory.Origin + "/account/login", signIn.RequestMessage!.RequestUri!.GetLeftPart(UriPartial.Path));
    }

    [Fact]
    public async Task Sample_portal_accepts_a_valid_logout_token_with_200_and_no_store()
    {
        var sid = NewSessionId();

        var response = await PostAsync(_publicServices, Token(_publicServices, sid));

        await Expect.Status(HttpStatusCode.OK, response);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        Assert.True(_publicServices.LoggedOut.Contains(sid));
    }

    [Theory]
    [InlineData("addressed to another portal")]
    [InlineData("signed with a key that is not the provider's")]
    [InlineData("unsigned")]
    [InlineData("from another issuer")]
    [InlineData("carrying a nonce")]
    [InlineData("without the events claim")]
    [InlineData("with another event")]
    [InlineData("naming neither sid nor sub")]
    [InlineData("without jti")]
    [InlineData("expired")]
    [InlineData("issued too long ago")]
    [InlineData("typed as a plain JWT")]
    public async Task Sample_portal_refuses_a_bad_logout_token_with_400(string problem)
    {
        var sid = NewSessionId();
        var token = problem switch
        {
            "addressed to another portal" => Token(_publicServices, sid, c => c["aud"] = _tax.ClientId),
            "signed with a key that is not the provider's" => Token(_publicServices, sid, key: ImpostorKey()),
            "unsigned" => Token(_publicServices, sid, unsigned: true),
            "from another issuer" => Token(_publicServices, sid, c => c["iss"] = "https://impostor.test/"),
            "carrying a nonce" => Token(_publicServices, sid, c => c["nonce"] = "n-0S6_WzA2Mj"),
            "without the events claim" => Token(_publicServices, sid, c => c.Remove("events")),
            "with another event" => Token(_publicServices, sid, c => c["events"] = new Dictionary<string, object> { ["https://schemas.example/other"] = new Dictionary<string, object>() }),
            "naming neither sid nor sub" => Token(_publicServices, sid, c => { c.Remove("sid"); c.Remove("sub"); }),
            "without jti" => Token(_publicServices, sid, c => c.Remove("jti")),
            "expired" => Token(_publicServices, sid, c => { c["iat"] = Seconds(-10); c["exp"] = Seconds(-8); }),
            "issued too long ago" => Token(_publicServices, sid, c => { c["iat"] = Seconds(-30); c["exp"] = Seconds(10); }),
            "typed as a plain JWT" => Token(_publicServices, sid, type: "JWT"),
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };

        var response = await PostAsync(_publicServices, token);

        await ExpectRefusedAsync(response);
        Assert.False(_publicServices.LoggedOut.Contains(sid), $"A logout token {problem} ended the session.");
    }

    [Fact]
    public async Task Sample_portal_refuses_a_replayed_logout_token()
    {
        var token = Token(_publicServices, NewSessionId());
        await Expect.Status(HttpStatusCode.OK, await PostAsync(_publicServices, token));

        var replayed = await PostAsync(_publicServices, token);

        var error = await ExpectRefusedAsync(replayed);
        Assert.Contains("jti", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sample_portal_refuses_an_id_token_posted_as_a_logout_token()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var idToken = (await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, _publicServices.AsTestPortal, "openid")).IdToken;
        var sid = TokenResponse.Claims(idToken).GetProperty("sid").GetString()!;

        var response = await PostAsync(_publicServices, idToken);

        await ExpectRefusedAsync(response);
        Assert.False(_publicServices.LoggedOut.Contains(sid));
    }

    [Fact]
    public async Task Sample_portal_refuses_a_request_without_a_logout_token()
    {
        using var http = new HttpClient();
        using var form = new FormUrlEncodedContent([KeyValuePair.Create("token", Token(_publicServices, NewSessionId()))]);

        await ExpectRefusedAsync(await http.PostAsync(_publicServices.Origin + "/backchannel-logout", form));
    }

    private static async Task ExpectPageAsync(HttpResponseMessage response, string url)
    {
        await Expect.Status(HttpStatusCode.OK, response);
        Assert.Equal(url, response.RequestMessage!.RequestUri!.GetLeftPart(UriPartial.Path));
    }

    private static async Task<string> ExpectRefusedAsync(HttpResponseMessage response)
    {
        await Expect.Status(HttpStatusCode.BadRequest, response);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_request", body.RootElement.GetProperty("error").GetString());
        return body.RootElement.GetProperty("error_description").GetString()!;
    }

    private static async Task<HttpResponseMessage> PostAsync(SamplePortalHost portal, string token)
    {
        using var http = new HttpClient();
        using var form = new FormUrlEncodedContent([KeyValuePair.Create("logout_token", token)]);
        return await http.PostAsync(portal.Origin + "/backchannel-logout", form);
    }

    /// <summary>A logout token as the provider signs it, with <paramref name="change"/> applied to its claims.</summary>
    private string Token(SamplePortalHost portal, string sid, Action<Dictionary<string, object>>? change = null, string type = "logout+jwt", SigningCredentials? key = null, bool unsigned = false)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["iss"] = Issuer,
            ["aud"] = portal.ClientId,
            ["iat"] = Seconds(0),
            ["exp"] = Seconds(2),
            ["jti"] = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)),
            ["sub"] = "pairwise-subject",
            ["sid"] = sid,
            ["events"] = new Dictionary<string, object> { [LogoutEvent] = new Dictionary<string, object>() },
        };
        change?.Invoke(claims);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = type,
            Claims = claims,
            SigningCredentials = unsigned ? null : key ?? ProviderKey(),
        });
    }

    private SigningCredentials ProviderKey() =>
        _server.Services.GetRequiredService<IOptions<OpenIddictServerOptions>>().Value.SigningCredentials
            .First(c => c.Algorithm == SecurityAlgorithms.RsaSha256);

    // The provider's key id on a key of its own: only the signature gives it away.
    private SigningCredentials ImpostorKey() =>
        new(new RsaSecurityKey(RSA.Create(2048)) { KeyId = ProviderKey().Key.KeyId }, SecurityAlgorithms.RsaSha256);

    private static long Seconds(int minutesFromNow) => TimeProvider.System.GetUtcNow().AddMinutes(minutesFromNow).ToUnixTimeSeconds();

    private static string NewSessionId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));

    private async Task<string> SessionIdAsync(Guid personId)
    {
        await using var scope = _server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EIdentityDbContext>().SsoSessions.AsNoTracking()
            .Where(s => s.PersonId == personId && s.EndedAt == null).Select(s => s.Id).SingleAsync();
    }

    private async Task<List<LogoutDelivery>> DeliveriesAsync(string sessionId) =>
        [.. (await BackchannelLogoutKit.DeliveriesAsync(_server)).Where(d => d.SessionId == sessionId)];
}
