using System.Formats.Cbor;
using EIdentity.Server.Credentials.Passkeys.Attestation;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Credentials.Passkeys.Attestation;

public sealed class PackedAttestationFormatTests : IDisposable
{
    private const int CoseAlgorithmEdDsa = -8;
    private const int CoseAlgorithmEs384 = -35;
    private const int CoseAlgorithmRs256 = -257;

    private readonly PackedAttestationFormat _format = new();
    private readonly TestCertificateAuthority _root = TestCertificateAuthority.CreateRoot("CN=EIdentity Test Attestation Root, O=EIdentity Tests, C=VN");
    private readonly TestCertificateAuthority _issuer;

    public PackedAttestationFormatTests() => _issuer = _root.CreateIntermediate("CN=EIdentity Test Attestation CA, O=EIdentity Tests, C=VN");

    public void Dispose()
    {
        _issuer.Dispose();
        _root.Dispose();
    }

    [Fact]
    public void Packed_attestation_with_a_certificate_is_accepted_as_basic_with_the_certificate_as_trust_path()
    {
        var result = Verify(Certified());

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(AttestationType.Basic, result.Type);
        var certificate = Assert.Single(result.TrustPath);
        Assert.Equal(PackedTestAttestation.ProperSubject, certificate.Subject);
    }

    [Fact]
    public void Packed_attestation_with_its_issuing_CA_in_x5c_keeps_the_whole_chain_as_trust_path()
    {
        var attestation = Certified();
        attestation.IncludeIssuerCertificate = true;

        var result = Verify(attestation);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(2, result.TrustPath.Count);
        Assert.Equal(_issuer.Certificate.Thumbprint, result.TrustPath[1].Thumbprint);
    }

    [Fact]
    public void Packed_attestation_without_an_AAGUID_extension_is_accepted()
    {
        var attestation = Certified();
        attestation.IncludeAaguidExtension = false;

        var result = Verify(attestation);

        Assert.True(result.IsValid, result.Reason);
    }

    [Fact]
    public void Packed_attestation_without_an_algorithm_is_refused()
    {
        var attestation = Certified();
        attestation.Algorithm = null;

        AttestationAssert.Refused(Verify(attestation), "alg is missing");
    }

    [Fact]
    public void Packed_attestation_without_a_signature_is_refused()
    {
        var attestation = Certified();
        attestation.OmitSignature = true;

        AttestationAssert.Refused(Verify(attestation), "sig is missing");
    }

    [Fact]
    public void Packed_attestation_with_an_unsupported_algorithm_is_refused()
    {
        var attestation = Certified();
        attestation.Algorithm = CoseAlgorithmEdDsa;

        AttestationAssert.Refused(Verify(attestation), "not supported");
    }

    [Fact]
    public void Packed_attestation_with_a_tampered_signature_is_refused()
    {
        var attestation = Certified();
        attestation.TamperSignature = true;

        AttestationAssert.Refused(Verify(attestation), "signature does not verify");
    }

    [Fact]
    public void Packed_attestation_naming_another_algorithm_than_it_was_signed_with_is_refused()
    {
        var attestation = Certified();
        attestation.Algorithm = CoseAlgorithmEs384;

        AttestationAssert.Refused(Verify(attestation), "signature does not verify");
    }

    [Fact]
    public void Packed_attestation_replayed_for_other_client_data_is_refused()
    {
        var result = AttestationCeremony.Register(Certified()).VerifyWithOtherClientData(_format);

        AttestationAssert.Refused(result, "signature does not verify");
    }

    [Fact]
    public void Packed_attestation_with_a_version_1_certificate_is_refused()
    {
        var attestation = Certified();
        attestation.CertificateIsVersion1 = true;

        AttestationAssert.Refused(Verify(attestation), "version 3");
    }

    [Fact]
    public void Packed_attestation_with_a_wrong_OU_is_refused()
    {
        var attestation = Certified();
        attestation.Subject = "C=VN, O=EIdentity Test Authenticators, OU=Engineering, CN=EIdentity Test Key Attestation";

        AttestationAssert.Refused(Verify(attestation), "(OU)");
    }

    [Fact]
    public void Packed_attestation_without_an_OU_is_refused()
    {
        var attestation = Certified();
        attestation.Subject = "C=VN, O=EIdentity Test Authenticators, CN=EIdentity Test Key Attestation";

        AttestationAssert.Refused(Verify(attestation), "(OU)");
    }

    [Fact]
    public void Packed_attestation_without_a_country_is_refused()
    {
        var attestation = Certified();
        attestation.Subject = "O=EIdentity Test Authenticators, OU=Authenticator Attestation, CN=EIdentity Test Key Attestation";

        AttestationAssert.Refused(Verify(attestation), "country");
    }

    [Fact]
    public void Packed_attestation_with_a_country_that_is_not_an_ISO_3166_code_is_refused()
    {
        var attestation = Certified();
        attestation.Subject = "C=Vietnam, O=EIdentity Test Authenticators, OU=Authenticator Attestation, CN=EIdentity Test Key Attestation";

        AttestationAssert.Refused(Verify(attestation), "ISO 3166");
    }

    [Fact]
    public void Packed_attestation_without_an_organization_is_refused()
    {
        var attestation = Certified();
        attestation.Subject = "C=VN, OU=Authenticator Attestation, CN=EIdentity Test Key Attestation";

        AttestationAssert.Refused(Verify(attestation), "vendor (O)");
    }

    [Fact]
    public void Packed_attestation_without_a_common_name_is_refused()
    {
        var attestation = Certified();
        attestation.Subject = "C=VN, O=EIdentity Test Authenticators, OU=Authenticator Attestation";

        AttestationAssert.Refused(Verify(attestation), "common name");
    }

    [Fact]
    public void Packed_attestation_with_a_CA_certificate_is_refused()
    {
        var attestation = Certified();
        attestation.CertificateIsAuthority = true;

        AttestationAssert.Refused(Verify(attestation), "CA=true");
    }

    [Fact]
    public void Packed_attestation_whose_AAGUID_extension_names_another_model_is_refused()
    {
        var attestation = Certified();
        attestation.CertificateAaguid = Guid.NewGuid();

        AttestationAssert.Refused(Verify(attestation), "is for authenticator model (AAGUID)");
    }

    [Fact]
    public void Packed_attestation_with_a_critical_AAGUID_extension_is_refused()
    {
        var attestation = Certified();
        attestation.AaguidExtensionIsCritical = true;

        AttestationAssert.Refused(Verify(attestation), "critical");
    }

    [Fact]
    public void Packed_attestation_with_a_short_AAGUID_extension_is_refused()
    {
        var attestation = Certified();
        attestation.AaguidExtensionValue = new byte[15];

        AttestationAssert.Refused(Verify(attestation), "16-byte AAGUID");
    }

    [Fact]
    public void Packed_attestation_with_garbage_instead_of_a_certificate_is_refused()
    {
        var attestation = Certified();
        attestation.CertificateBytesOverride = [0x30, 0x03, 0x02, 0x01];

        AttestationAssert.Refused(Verify(attestation), "not a valid X.509 certificate");
    }

    [Fact]
    public void Packed_self_attestation_is_accepted_as_self_without_a_trust_path()
    {
        var result = Verify(PackedTestAttestation.Self());

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(AttestationType.Self, result.Type);
        Assert.Empty(result.TrustPath);
    }

    [Fact]
    public void Packed_self_attestation_with_a_tampered_signature_is_refused()
    {
        var attestation = PackedTestAttestation.Self();
        attestation.TamperSignature = true;

        AttestationAssert.Refused(Verify(attestation), "does not verify with the credential public key");
    }

    [Fact]
    public void Packed_self_attestation_naming_another_algorithm_than_the_credential_key_is_refused()
    {
        var attestation = PackedTestAttestation.Self();
        attestation.Algorithm = CoseAlgorithmRs256;

        AttestationAssert.Refused(Verify(attestation), "algorithm RS256");
    }

    [Fact]
    public void Packed_self_attestation_replayed_for_other_client_data_is_refused()
    {
        var result = AttestationCeremony.Register(PackedTestAttestation.Self()).VerifyWithOtherClientData(_format);

        AttestationAssert.Refused(result, "signature does not verify");
    }

    [Fact]
    public void Packed_self_attestation_for_a_credential_key_off_its_curve_is_refused_without_an_exception()
    {
        var ceremony = AttestationCeremony.Register(PackedTestAttestation.Self());
        var writer = new CborWriter(CborConformanceMode.Ctap2Canonical);
        writer.WriteStartMap(5);
        writer.WriteInt32(1);
        writer.WriteInt32(2);
        writer.WriteInt32(3);
        writer.WriteInt32(-7);
        writer.WriteInt32(-1);
        writer.WriteInt32(1);
        writer.WriteInt32(-2);
        writer.WriteByteString(new byte[32]);
        writer.WriteInt32(-3);
        writer.WriteByteString(Enumerable.Repeat((byte)0x5A, 32).ToArray());
        writer.WriteEndMap();
        var offCurve = CoseKey.TryDecode(writer.Encode(), out var error);
        Assert.True(offCurve is not null, error);

        var result = _format.Verify(ceremony.Attestation, offCurve, ceremony.ClientDataHash);

        AttestationAssert.Refused(result, "not a usable key");
    }

    private PackedTestAttestation Certified() => PackedTestAttestation.WithCertificate(_issuer);

    private AttestationStatementResult Verify(PackedTestAttestation attestation) => AttestationCeremony.Register(attestation).VerifyWith(_format);
}
