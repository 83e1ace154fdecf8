using System.Security.Cryptography;
using EIdentity.Server.Oidc;

namespace EIdentity.Tests.Oidc;

/// <summary>What an operator sees when registering a portal's key set or secret.</summary>
public sealed class PortalKeySetTests
{
    [Fact]
    public void Public_ec_key_set_is_accepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Assert.Empty(Registration(ClientAuthenticationTests.KeySet(key)).Validate());
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("""{"kty":"EC"}""", "\"keys\" array")]
    [InlineData("""{"keys":[]}""", "1 to 10 keys")]
    [InlineData("""{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}""", "private member \"k\"")]
    [InlineData("""{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}]}""", "private member \"d\"")]
    [InlineData("""{"keys":[{"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"}]}""", "P-256, P-384 or P-521")]
    [InlineData("""{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}""", "2048 bits")]
    [InlineData("""{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AA"}]}""", "EC or RSA")]
    public void Bad_key_set_is_refused_with_the_reason(string keySet, string reason)
    {
        var errors = Registration(keySet).Validate().ToList();

        Assert.Contains(errors, e => e.StartsWith("key set: ", StringComparison.Ordinal) && e.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Rsa_key_used_for_encryption_is_refused()
    {
        using var rsa = RSA.Create(2048);
        var n = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(rsa.ExportParameters(false).Modulus);

        var errors = Registration($$"""{"keys":[{"kty":"RSA","use":"enc","n":"{{n}}","e":"AQAB"}]}""").Validate();

        Assert.Contains(errors, e => e.Contains("\"sig\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Client_credentials_without_secret_or_key_set_is_refused()
    {
        var errors = new PortalRegistration { ClientId = "svc", DisplayName = "Dịch vụ", AllowClientCredentials = true }.Validate();

        Assert.Contains(errors, e => e.Contains("a secret or a key set", StringComparison.Ordinal));
    }

    [Fact]
    public void Generated_secrets_are_recognized_and_hand_made_lookalikes_are_not()
    {
        var generated = Enumerable.Range(0, 50).Select(_ => ClientSecrets.Generate()).ToList();

        Assert.All(generated, s => Assert.True(ClientSecrets.IsGenerated(s), s));
        Assert.Equal(50, generated.Distinct().Count());
        Assert.False(ClientSecrets.IsGenerated("eidcs_" + new string('a', 43)));
        Assert.False(ClientSecrets.IsGenerated("eidcs_" + generated[0][6..^1]));
        Assert.False(ClientSecrets.IsGenerated(generated[0][6..] + "eidcs_"));
    }

    [Fact]
    public void Stored_fast_hash_checks_only_its_own_secret_and_tampering_fails()
    {
        var secret = ClientSecrets.Generate();
        var stored = ClientSecrets.Hash(secret);

        Assert.True(ClientSecrets.Verify(secret, stored));
        Assert.False(ClientSecrets.Verify(ClientSecrets.Generate(), stored));
        Assert.NotEqual(stored, ClientSecrets.Hash(secret));
        Assert.False(ClientSecrets.Verify(secret, stored[..^2] + (stored[^2] == 'A' ? "B" : "A") + stored[^1]));
        Assert.False(ClientSecrets.Verify(secret, ClientSecrets.StoredPrefix + "not$base64!"));
        Assert.False(ClientSecrets.Verify(secret, ClientSecrets.StoredPrefix + "onlyonepart"));
    }

    private static PortalRegistration Registration(string keySet) => new()
    {
        ClientId = "svc-keys",
        DisplayName = "Dịch vụ khoá",
        JsonWebKeySet = keySet,
        AllowClientCredentials = true,
    };
}
