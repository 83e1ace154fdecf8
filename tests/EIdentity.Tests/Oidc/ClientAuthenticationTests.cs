using System.Security.Cryptography;
using EIdentity.Server.Oidc;
using EIdentity.Server.Persistence;
using EIdentity.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace EIdentity.Tests.Oidc;

/// <summary>
/// How portals prove who they are at the token and introspection endpoints: a generated secret
/// (stored with a fast keyed hash), a secret the operator chose (PBKDF2), or a signed JWT
/// (private_key_jwt, RFC 7523).
/// </summary>
public sealed class ClientAuthenticationTests(OidcServerFixture fixture) : IClassFixture<OidcServerFixture>
{
    private readonly EIdentityServerFactory _server = fixture.Server;

    [Fact]
    public async Task Generated_secret_gets_a_token_and_is_stored_only_as_a_keyed_hash()
    {
        var secret = ClientSecrets.Generate();
        var service = await RegisterServiceAsync(secret: secret);
        using var backChannel = new PortalBackChannel(_server, service);

        var tokens = await backChannel.ClientCredentialsAsync();

        Assert.Equal(200, tokens.Status);
        var stored = await StoredSecretAsync(service.ClientId);
        Assert.StartsWith(ClientSecrets.StoredPrefix, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[ClientSecrets.GeneratedPrefix.Length..], stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generated_secret_with_one_character_changed_is_invalid_client()
    {
        var secret = ClientSecrets.Generate();
        var service = await RegisterServiceAsync(secret: secret);
        using var backChannel = new PortalBackChannel(_server, service);
        var last = secret[^1] == 'A' ? 'B' : 'A';

        var tokens = await backChannel.ClientCredentialsAsync(secret: secret[..^1] + last);
        var another = await backChannel.ClientCredentialsAsync(secret: ClientSecrets.Generate());

        Assert.Equal((401, "invalid_client"), (tokens.Status, tokens.Error));
        Assert.Equal((401, "invalid_client"), (another.Status, another.Error));
        Assert.Null(tokens["access_token"]);
    }

    [Fact]
    public async Task Secret_chosen_by_a_person_keeps_pbkdf2_and_still_works()
    {
        var service = await RegisterServiceAsync(secret: "eidcs_" + new string('a', 43));
        using var backChannel = new PortalBackChannel(_server, service);

        var tokens = await backChannel.ClientCredentialsAsync();

        Assert.Equal(200, tokens.Status);
        // ASP.NET Core Identity's V3 password hash (PBKDF2), base64: not the fast form.
        var stored = await StoredSecretAsync(service.ClientId);
        Assert.False(stored.StartsWith(ClientSecrets.StoredPrefix, StringComparison.Ordinal), stored);
        Assert.Equal(0x01, Convert.FromBase64String(stored)[0]);
    }

    [Fact]
    public async Task Portal_with_a_key_set_gets_a_token_with_a_signed_client_assertion()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var service = await RegisterServiceAsync(keySet: KeySet(key));
        using var backChannel = new PortalBackChannel(_server, service with { Secret = null });

        var tokens = await backChannel.PostAsync("/connect/token", AssertionForm(Assertion(service.ClientId, key)));

        Assert.True(tokens.Status == 200, tokens.Raw);
        Assert.Equal(service.ClientId, TokenResponse.Claims(tokens.AccessToken).GetProperty("client_id").GetString());
    }

    [Fact]
    public async Task Client_assertion_used_twice_is_refused_the_second_time()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var service = await RegisterServiceAsync(keySet: KeySet(key));
        using var backChannel = new PortalBackChannel(_server, service with { Secret = null });
        var assertion = Assertion(service.ClientId, key);

        var first = await backChannel.PostAsync("/connect/token", AssertionForm(assertion));
        var replay = await backChannel.PostAsync("/connect/token", AssertionForm(assertion));

        Assert.True(first.Status == 200, first.Raw);
        Assert.True((replay.Status, replay.Error) == (401, "invalid_client"), replay.Raw);
    }

    [Fact]
    public async Task Client_assertion_signed_by_another_key_is_invalid_client()
    {
        using var registered = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var service = await RegisterServiceAsync(keySet: KeySet(registered));
        using var backChannel = new PortalBackChannel(_server, service with { Secret = null });

        var tokens = await backChannel.PostAsync("/connect/token", AssertionForm(Assertion(service.ClientId, stranger)));

        Assert.Equal((401, "invalid_client"), (tokens.Status, tokens.Error));
        Assert.Null(tokens["access_token"]);
    }

    [Theory]
    [InlineData("audience")]
    [InlineData("expired")]
    [InlineData("issuer")]
    public async Task Client_assertion_for_another_audience_expired_or_about_another_client_is_refused(string flaw)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var service = await RegisterServiceAsync(keySet: KeySet(key));
        using var backChannel = new PortalBackChannel(_server, service with { Secret = null });
        var assertion = flaw switch
        {
            "audience" => Assertion(service.ClientId, key, audience: "https://another-provider.example/connect/token"),
            "expired" => Assertion(service.ClientId, key, expires: DateTime.UtcNow.AddMinutes(-5)),
            _ => Assertion(service.ClientId, key, issuer: TestPortals.Service.ClientId),
        };

        var tokens = await backChannel.PostAsync("/connect/token", AssertionForm(assertion));

        Assert.True((tokens.Status, tokens.Error) == (401, "invalid_client"), tokens.Raw);
        Assert.Null(tokens["access_token"]);
    }

    [Fact]
    public async Task Portal_with_only_a_key_set_cannot_use_a_secret()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var service = await RegisterServiceAsync(keySet: KeySet(key));
        using var backChannel = new PortalBackChannel(_server, service);

        var tokens = await backChannel.ClientCredentialsAsync(secret: ClientSecrets.Generate());

        Assert.Equal((401, "invalid_client"), (tokens.Status, tokens.Error));
    }

    [Fact]
    public async Task Discovery_offers_private_key_jwt_besides_secrets()
    {
        using var http = _server.CreateClient();

        using var discovery = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/.well-known/openid-configuration"));

        var methods = discovery.RootElement.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(m => m.GetString()).ToList();
        Assert.Contains("private_key_jwt", methods);
        Assert.Contains("client_secret_basic", methods);
    }

    [Fact]
    public async Task Portal_registered_for_rs256_gets_rs256_access_tokens_and_others_keep_es256()
    {
        var rsaService = await RegisterServiceAsync(secret: ClientSecrets.Generate(), accessTokenAlgorithm: "RS256");
        var ecService = await RegisterServiceAsync(secret: ClientSecrets.Generate());
        using var rsa = new PortalBackChannel(_server, rsaService);
        using var ec = new PortalBackChannel(_server, ecService);

        var rsaToken = (await rsa.ClientCredentialsAsync()).AccessToken;
        var ecToken = (await ec.ClientCredentialsAsync()).AccessToken;

        Assert.Equal("RS256", TokenResponse.Header(rsaToken).GetProperty("alg").GetString());
        Assert.Equal("ES256", TokenResponse.Header(ecToken).GetProperty("alg").GetString());
        using var http = _server.CreateClient();
        var keys = new JsonWebKeySet(await http.GetStringAsync("/.well-known/jwks"));
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(rsaToken, new TokenValidationParameters
        {
            IssuerSigningKeys = keys.GetSigningKeys(),
            ValidIssuer = EIdentityServerFactory.Origin + "/",
            ValidAudience = rsaService.ClientId,
            ValidTypes = ["at+jwt"],
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
    }

    private Task<TestPortal> RegisterServiceAsync(string? secret = null, string? keySet = null, string? accessTokenAlgorithm = null) =>
        OidcTestKit.RegisterServiceAsync(_server, secret: secret, keySet: keySet, accessTokenAlgorithm: accessTokenAlgorithm);

    private async Task<string> StoredSecretAsync(string clientId)
    {
        await using var scope = _server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        return await db.Set<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication>()
            .Where(a => a.ClientId == clientId).Select(a => a.ClientSecret!).SingleAsync();
    }

    internal static string KeySet(ECDsa key)
    {
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(key));
        var p = key.ExportParameters(includePrivateParameters: false);
        return $$"""{"keys":[{"kty":"EC","crv":"P-256","use":"sig","kid":"{{jwk.Kid ?? "k1"}}","x":"{{Base64UrlEncoder.Encode(p.Q.X)}}","y":"{{Base64UrlEncoder.Encode(p.Q.Y)}}"}]}""";
    }

    // RFC 7523 3: iss and sub are the client id, aud the token endpoint, a short exp, a unique jti.
    private static string Assertion(string clientId, ECDsa key, string? audience = null, DateTime? expires = null, string? issuer = null)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? clientId,
            // OpenIddict follows draft-ietf-oauth-rfc7523bis: the audience is the issuer identifier.
            Audience = audience ?? EIdentityServerFactory.Origin + "/",
            Claims = new Dictionary<string, object> { ["sub"] = issuer ?? clientId, ["jti"] = Guid.NewGuid().ToString("N") },
            IssuedAt = (expires ?? now.AddMinutes(2)).AddMinutes(-2),
            NotBefore = (expires ?? now.AddMinutes(2)).AddMinutes(-2),
            Expires = expires ?? now.AddMinutes(2),
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key), SecurityAlgorithms.EcdsaSha256),
            TokenType = "client-authentication+jwt",
        });
    }

    private static Dictionary<string, string?> AssertionForm(string assertion) => new()
    {
        ["grant_type"] = "client_credentials",
        ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ["client_assertion"] = assertion,
    };
}
