using System.Net;
using System.Text.Json;
using EIdentity.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace EIdentity.Tests.Oidc;

/// <summary>OpenID Connect Discovery 1.0 metadata and the JWKS a portal validates tokens with.</summary>
public sealed class DiscoveryTests(OidcServerFixture fixture) : IClassFixture<OidcServerFixture>
{
    private const string Issuer = EIdentityServerFactory.Origin + "/";

    private readonly EIdentityServerFactory _server = fixture.Server;

    [Fact]
    public async Task Metadata_names_the_issuer_and_every_endpoint()
    {
        var metadata = await GetJsonAsync("/.well-known/openid-configuration");

        Assert.Equal(Issuer, metadata.GetProperty("issuer").GetString());
        Assert.Equal(Issuer + "connect/authorize", metadata.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(Issuer + "connect/par", metadata.GetProperty("pushed_authorization_request_endpoint").GetString());
        Assert.Equal(Issuer + "connect/token", metadata.GetProperty("token_endpoint").GetString());
        Assert.Equal(Issuer + "connect/userinfo", metadata.GetProperty("userinfo_endpoint").GetString());
        Assert.Equal(Issuer + "connect/introspect", metadata.GetProperty("introspection_endpoint").GetString());
        Assert.Equal(Issuer + "connect/revoke", metadata.GetProperty("revocation_endpoint").GetString());
        Assert.Equal(Issuer + "connect/endsession", metadata.GetProperty("end_session_endpoint").GetString());
        Assert.Equal(Issuer + ".well-known/jwks", metadata.GetProperty("jwks_uri").GetString());
    }

    [Fact]
    public async Task Metadata_offers_only_the_code_flow_with_S256_and_pairwise_subjects()
    {
        var metadata = await GetJsonAsync("/.well-known/openid-configuration");

        Assert.Equal("S256", Assert.Single(OidcTestKit.Strings(metadata.GetProperty("code_challenge_methods_supported"))));
        Assert.Equal("code", Assert.Single(OidcTestKit.Strings(metadata.GetProperty("response_types_supported"))));
        Assert.Equal("pairwise", Assert.Single(OidcTestKit.Strings(metadata.GetProperty("subject_types_supported"))));
        var grants = OidcTestKit.Strings(metadata.GetProperty("grant_types_supported"));
        Assert.Contains("authorization_code", grants);
        Assert.Contains("refresh_token", grants);
        Assert.Contains("client_credentials", grants);
        Assert.DoesNotContain("implicit", grants);
        Assert.DoesNotContain("password", grants);
        Assert.Contains("national_id", OidcTestKit.Strings(metadata.GetProperty("scopes_supported")));
        Assert.Contains("RS256", OidcTestKit.Strings(metadata.GetProperty("id_token_signing_alg_values_supported")));
    }

    [Fact]
    public async Task Jwks_holds_one_public_ES256_key_and_one_public_RS256_key()
    {
        var jwks = await GetJsonAsync("/.well-known/jwks");

        var keys = jwks.GetProperty("keys").EnumerateArray().ToList();
        Assert.Equal(2, keys.Count);
        var ec = Assert.Single(keys, k => k.GetProperty("kty").GetString() == "EC");
        Assert.Equal("ES256", ec.GetProperty("alg").GetString());
        Assert.Equal("P-256", ec.GetProperty("crv").GetString());
        var rsa = Assert.Single(keys, k => k.GetProperty("kty").GetString() == "RSA");
        Assert.Equal("RS256", rsa.GetProperty("alg").GetString());
        Assert.All(keys, key =>
        {
            Assert.Equal("sig", key.GetProperty("use").GetString());
            Assert.False(string.IsNullOrEmpty(key.GetProperty("kid").GetString()));
            // Private parameters (RFC 7518 6.2.2.1 "d", 6.3.2 "p", "q"...) must never be published.
            Assert.False(key.TryGetProperty("d", out _), "The JWKS publishes a private key.");
            Assert.False(key.TryGetProperty("p", out _), "The JWKS publishes a private key.");
        });
    }

    [Fact]
    public async Task Access_token_verifies_against_the_jwks_with_ES256()
    {
        var tokens = await SignedInTokensAsync();

        var result = await ValidateAsync(tokens.AccessToken, SecurityAlgorithms.EcdsaSha256, audience: null, type: "at+jwt");

        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal("ES256", TokenResponse.Header(tokens.AccessToken).GetProperty("alg").GetString());
    }

    [Fact]
    public async Task Id_token_verifies_against_the_jwks_with_RS256_for_the_portal_audience()
    {
        var tokens = await SignedInTokensAsync();

        var result = await ValidateAsync(tokens.IdToken, SecurityAlgorithms.RsaSha256, audience: TestPortals.PortalA.ClientId, type: null);

        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal("RS256", TokenResponse.Header(tokens.IdToken).GetProperty("alg").GetString());
    }

    [Fact]
    public async Task Tampered_access_token_fails_verification()
    {
        var tokens = await SignedInTokensAsync();
        var parts = tokens.AccessToken.Split('.');
        var claims = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(TokenResponse.Claims(tokens.AccessToken).GetRawText())!;
        claims["sub"] = JsonSerializer.SerializeToElement("someone-else");
        var forged = parts[0] + "." + System.Buffers.Text.Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims)) + "." + parts[2];

        var result = await ValidateAsync(forged, SecurityAlgorithms.EcdsaSha256, audience: null, type: "at+jwt");

        Assert.False(result.IsValid);
    }

    private async Task<TokenResponse> SignedInTokensAsync()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        return await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA);
    }

    private async Task<TokenValidationResult> ValidateAsync(string token, string algorithm, string? audience, string? type)
    {
        var metadata = await GetJsonAsync("/.well-known/openid-configuration");
        var jwks = new JsonWebKeySet((await GetJsonAsync("/.well-known/jwks")).GetRawText());
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = metadata.GetProperty("issuer").GetString(),
            ValidateAudience = audience is not null,
            ValidAudience = audience,
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidAlgorithms = [algorithm],
            ValidateLifetime = true,
        };
        if (type is not null)
        {
            parameters.ValidTypes = [type];
        }

        return await new JsonWebTokenHandler().ValidateTokenAsync(token, parameters);
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var http = _server.CreateClient();
        var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        await Expect.Status(HttpStatusCode.OK, response);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }
}
