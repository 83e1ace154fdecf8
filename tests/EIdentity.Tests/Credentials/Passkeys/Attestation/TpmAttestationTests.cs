using System.Buffers.Text;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using EIdentity.Server.Credentials.Passkeys.Attestation;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Credentials.Passkeys.Attestation;

public sealed class TpmAttestationTests : IDisposable
{
    // The AAGUID Windows Hello reports for TPM-backed credentials.
    private static readonly Guid WindowsHelloAaguid = new("08987058-cadc-4b81-b6e1-30de50dcbe96");

    private readonly TestCertificateAuthority _root = TestCertificateAuthority.CreateRoot("CN=Test TPM Root CA");
    private readonly TestCertificateAuthority _issuer;
    private readonly TpmAttestationFormat _format = new();

    public TpmAttestationTests() => _issuer = _root.CreateIntermediate("CN=Test TPM AIK CA");

    [Fact]
    public void Tpm_attestation_from_a_genuine_tpm_is_attestation_ca_with_the_aik_chain_as_trust_path()
    {
        var (result, statement) = Register(new TpmTestAttestation(_issuer));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(AttestationType.AttestationCa, result.Type);
        Assert.Equal(statement.Certificates, result.TrustPath.Select(c => c.RawData));
        Assert.Equal(_issuer.Certificate.Thumbprint, result.TrustPath[1].Thumbprint);
        Dispose(result);
    }

    [Fact]
    public void Tpm_attestation_with_a_tampered_signature_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { TamperSignature = true }, "signature over certInfo does not verify");

    [Fact]
    public void Tpm_attestation_with_a_wrong_extraData_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { WrongExtraData = true }, "extraData does not match the hash of authenticatorData and clientDataHash");

    [Fact]
    public void Tpm_attestation_whose_certified_name_is_not_the_pubArea_name_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { WrongName = true }, "is not the name of pubArea");

    [Fact]
    public void Tpm_attestation_with_a_wrong_magic_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { Magic = 0xff544348 }, "magic is not TPM_GENERATED_VALUE");

    [Fact]
    public void Tpm_attestation_of_a_quote_instead_of_a_certification_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { AttestType = 0x8018 }, "TPM_ST_ATTEST_CERTIFY (0x8017) is required");

    [Fact]
    public void Tpm_attestation_whose_pubArea_holds_another_key_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { PubAreaForAnotherKey = true }, "pubArea does not match the credential public key");

    [Fact]
    public void Tpm_attestation_for_tpm_version_1_2_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { Version = "1.2" }, "only TPM 2.0 is supported");

    [Fact]
    public void Tpm_attestation_with_an_unsupported_algorithm_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { Algorithm = -65535 }, "algorithm COSE -65535 is not supported");

    [Fact]
    public void Tpm_attestation_without_x5c_is_refused_because_ecdaa_is_not_supported()
        => AssertRefused(new TpmTestAttestation(_issuer) { OmitCertificates = true }, "ECDAA attestation is not supported");

    [Fact]
    public void Tpm_attestation_with_a_truncated_certInfo_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { TruncateCertInfo = true }, "certInfo is truncated");

    [Fact]
    public void Tpm_attestation_whose_aik_certificate_is_not_a_certificate_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { CorruptAikCertificate = true }, "is not a valid X.509 certificate");

    [Fact]
    public void Tpm_aik_certificate_without_the_aik_extended_key_usage_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { OmitAikUsage = true }, "extended key usage does not include TPM attestation identity key");

    [Fact]
    public void Tpm_aik_certificate_with_a_subject_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { AikSubject = "CN=My TPM" }, "must have an empty subject");

    [Fact]
    public void Tpm_aik_certificate_that_is_a_certificate_authority_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { AikIsCertificateAuthority = true }, "is a certificate authority");

    [Fact]
    public void Tpm_aik_certificate_without_a_subject_alternative_name_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { OmitSubjectAlternativeName = true }, "no subject alternative name naming the TPM");

    [Fact]
    public void Tpm_aik_certificate_with_a_non_critical_subject_alternative_name_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { SubjectAlternativeNameCritical = false }, "not marked critical");

    [Fact]
    public void Tpm_aik_certificate_that_does_not_name_the_tpm_manufacturer_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { OmitManufacturer = true }, "does not name the TPM manufacturer");

    [Fact]
    public void Tpm_aik_certificate_for_another_authenticator_model_is_refused()
        => AssertRefused(new TpmTestAttestation(_issuer) { CertificateAaguid = Guid.NewGuid() }, "AAGUID in the TPM attestation certificate does not match");

    [Fact]
    public void Tpm_rsa_pubArea_with_the_default_exponent_matches_only_its_rsa_credential_key()
    {
        using var rsa = RSA.Create(2048);
        var parameters = rsa.ExportParameters(includePrivateParameters: false);
        using var otherRsa = RSA.Create(2048);

        var pubArea = TpmPublicArea.TryParse(RsaPubArea(parameters.Modulus!, exponent: 0), out var error);

        Assert.NotNull(pubArea);
        Assert.Null(error);
        Assert.Equal(65537u, pubArea.Exponent);
        Assert.True(pubArea.Matches(DecodeRsaCoseKey(parameters)));
        Assert.False(pubArea.Matches(DecodeRsaCoseKey(otherRsa.ExportParameters(includePrivateParameters: false))));
    }

    [Fact]
    public void Tpm_pubArea_with_trailing_bytes_is_refused()
    {
        using var rsa = RSA.Create(2048);

        var pubArea = TpmPublicArea.TryParse([.. RsaPubArea(rsa.ExportParameters(false).Modulus!, exponent: 0), 0x00], out var error);

        Assert.Null(pubArea);
        Assert.Contains("trailing bytes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Tpm_structures_cut_short_anywhere_are_refused_with_a_reason()
    {
        using var rsa = RSA.Create(2048);
        var pubArea = RsaPubArea(rsa.ExportParameters(false).Modulus!, exponent: 0);
        byte[] certInfo = [0xff, 0x54, 0x43, 0x47, 0x80, 0x17, 0x00, 0x00, 0x00, 0x02, 0xAA, 0xBB, .. new byte[25], 0x00, 0x02, 0x00, 0x0B, 0x00, 0x00];

        Assert.NotNull(TpmAttest.TryParse(certInfo, out _));
        for (var length = 0; length < pubArea.Length; length++)
        {
            Assert.Null(TpmPublicArea.TryParse(pubArea.AsSpan(0, length), out var error));
            Assert.Contains("truncated", error, StringComparison.Ordinal);
        }

        for (var length = 0; length < certInfo.Length; length++)
        {
            Assert.Null(TpmAttest.TryParse(certInfo.AsSpan(0, length), out var error));
            Assert.Contains("truncated", error, StringComparison.Ordinal);
        }
    }

    public void Dispose()
    {
        _issuer.Dispose();
        _root.Dispose();
    }

    private void AssertRefused(TpmTestAttestation attestation, string reason)
    {
        var (result, _) = Register(attestation);

        Assert.False(result.IsValid);
        Assert.Contains(reason, result.Reason, StringComparison.Ordinal);
        Assert.Empty(result.TrustPath);
    }

    private (AttestationStatementResult Result, AttestationStatement Statement) Register(TpmTestAttestation attestation)
    {
        var ceremony = AttestationCeremony.Register(attestation, WindowsHelloAaguid);
        Assert.Equal("tpm", ceremony.Attestation.Format);
        return (ceremony.VerifyWith(_format), ceremony.Attestation.Statement);
    }

    // TPMT_PUBLIC for an RSA 2048 signing key: symmetric and scheme TPM_ALG_NULL.
    private static byte[] RsaPubArea(byte[] modulus, uint exponent)
    {
        List<byte> buffer = [0x00, 0x01, 0x00, 0x0B, 0x00, 0x04, 0x00, 0x72, 0x00, 0x00, 0x00, 0x10, 0x00, 0x10, 0x08, 0x00];
        buffer.AddRange([(byte)(exponent >> 24), (byte)(exponent >> 16), (byte)(exponent >> 8), (byte)exponent]);
        buffer.AddRange([(byte)(modulus.Length >> 8), (byte)modulus.Length]);
        buffer.AddRange(modulus);
        return [.. buffer];
    }

    private static CoseKey DecodeRsaCoseKey(RSAParameters parameters)
    {
        var writer = new CborWriter(CborConformanceMode.Ctap2Canonical);
        writer.WriteStartMap(4);
        writer.WriteInt32(1);
        writer.WriteInt32(3);
        writer.WriteInt32(3);
        writer.WriteInt32(-257);
        writer.WriteInt32(-1);
        writer.WriteByteString(parameters.Modulus!);
        writer.WriteInt32(-2);
        writer.WriteByteString(parameters.Exponent!);
        writer.WriteEndMap();
        return CoseKey.TryDecode(writer.Encode(), out _)!;
    }

    private static void Dispose(AttestationStatementResult result)
    {
        foreach (var certificate in result.TrustPath)
        {
            certificate.Dispose();
        }
    }
}
