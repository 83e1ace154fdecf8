using System.Formats.Cbor;
using EIdentity.Server.Credentials.Passkeys.Attestation;

namespace EIdentity.Tests.Credentials.Passkeys.Attestation;

public sealed class AttestationParsingTests
{
    [Theory]
    [InlineData("")]
    [InlineData("ff")]
    [InlineData("a1")]
    [InlineData("83010203")]
    [InlineData("a363666d74")]
    public void Attestation_object_that_is_not_a_CBOR_map_is_refused_with_a_reason(string hex)
    {
        var parsed = AttestationObject.TryParse(Convert.FromHexString(hex), out var error);

        Assert.Null(parsed);
        Assert.Contains("attestation object", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Attestation_object_without_authenticator_data_is_refused()
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(2);
        writer.WriteTextString("fmt");
        writer.WriteTextString("none");
        writer.WriteTextString("attStmt");
        writer.WriteStartMap(0);
        writer.WriteEndMap();
        writer.WriteEndMap();

        var parsed = AttestationObject.TryParse(writer.Encode(), out var error);

        Assert.Null(parsed);
        Assert.Contains("authData", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Attestation_statement_with_a_text_algorithm_is_refused()
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(3);
        writer.WriteTextString("fmt");
        writer.WriteTextString("packed");
        writer.WriteTextString("attStmt");
        writer.WriteStartMap(1);
        writer.WriteTextString("alg");
        writer.WriteTextString("ES256");
        writer.WriteEndMap();
        writer.WriteTextString("authData");
        writer.WriteByteString(ValidAuthenticatorData());
        writer.WriteEndMap();

        var parsed = AttestationObject.TryParse(writer.Encode(), out var error);

        Assert.Null(parsed);
        Assert.Contains("not valid CBOR", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_authenticator_data_is_refused()
    {
        AssertAuthenticatorDataRefused(ValidAuthenticatorData()[..40], "too short");
    }

    [Fact]
    public void Authenticator_data_cut_inside_the_credential_key_is_refused()
    {
        AssertAuthenticatorDataRefused(ValidAuthenticatorData()[..^5], "credential public key is not valid CBOR");
    }

    [Fact]
    public void Authenticator_data_with_trailing_bytes_is_refused()
    {
        AssertAuthenticatorDataRefused([.. ValidAuthenticatorData(), 0x00], "trailing");
    }

    [Fact]
    public void Authenticator_data_without_attested_credential_data_is_refused()
    {
        var authData = ValidAuthenticatorData();
        authData[32] &= 0xBF;

        AssertAuthenticatorDataRefused(authData, "AT flag");
    }

    [Fact]
    public void Authenticator_data_with_a_credential_ID_longer_than_the_data_is_refused()
    {
        var authData = ValidAuthenticatorData();
        authData[53] = 0x03;
        authData[54] = 0xFF;

        AssertAuthenticatorDataRefused(authData, "credential ID length");
    }

    [Theory]
    [InlineData("")]
    [InlineData("0102")]
    [InlineData("a5010203")]
    [InlineData("ff")]
    public void Credential_key_that_is_not_a_COSE_map_is_refused_with_a_reason(string hex)
    {
        var key = CoseKey.TryDecode(Convert.FromHexString(hex), out var error);

        Assert.Null(key);
        Assert.Contains("COSE_Key", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Credential_key_cut_short_is_refused()
    {
        var valid = AttestationCeremony.Register(attestation: null).Attestation.AuthenticatorData.CredentialPublicKey;

        var key = CoseKey.TryDecode(valid.AsMemory(..^3), out var error);

        Assert.Null(key);
        Assert.Contains("COSE_Key", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Credential_key_with_an_unsupported_algorithm_is_refused()
    {
        // RFC 9053 7.2: an Ed25519 OKP key (kty 1, alg EdDSA -8, crv 6).
        var key = CoseKey.TryDecode(EncodeKey((1, 1), (3, -8), (-1, 6), (-2, new byte[32])), out var error);

        Assert.Null(key);
        Assert.Contains("not supported", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Credential_key_without_an_algorithm_is_refused()
    {
        var key = CoseKey.TryDecode(EncodeKey((1, 2), (-1, 1), (-2, new byte[32]), (-3, new byte[32])), out var error);

        Assert.Null(key);
        Assert.Contains("alg", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Credential_key_on_an_unknown_curve_is_refused()
    {
        var key = CoseKey.TryDecode(EncodeKey((1, 2), (3, -7), (-1, 9), (-2, new byte[32]), (-3, new byte[32])), out var error);

        Assert.Null(key);
        Assert.Contains("curve", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Credential_key_whose_type_does_not_match_its_algorithm_is_refused()
    {
        var key = CoseKey.TryDecode(EncodeKey((1, 3), (3, -7), (-1, new byte[256]), (-2, new byte[] { 1, 0, 1 })), out var error);

        Assert.Null(key);
        Assert.Contains("does not match", error, StringComparison.Ordinal);
    }

    private static byte[] ValidAuthenticatorData()
        => AttestationCeremony.Register(attestation: null).Attestation.AuthenticatorData.Raw;

    private static void AssertAuthenticatorDataRefused(byte[] authData, string expected)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(3);
        writer.WriteTextString("fmt");
        writer.WriteTextString("none");
        writer.WriteTextString("attStmt");
        writer.WriteStartMap(0);
        writer.WriteEndMap();
        writer.WriteTextString("authData");
        writer.WriteByteString(authData);
        writer.WriteEndMap();

        var parsed = AttestationObject.TryParse(writer.Encode(), out var error);

        Assert.Null(parsed);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    private static byte[] EncodeKey(params (int Label, object Value)[] parameters)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(parameters.Length);
        foreach (var (label, value) in parameters)
        {
            writer.WriteInt32(label);
            switch (value)
            {
                case int number:
                    writer.WriteInt32(number);
                    break;
                case byte[] bytes:
                    writer.WriteByteString(bytes);
                    break;
                default:
                    throw new ArgumentException($"Unexpected COSE parameter value {value}.", nameof(parameters));
            }
        }

        writer.WriteEndMap();
        return writer.Encode();
    }
}
