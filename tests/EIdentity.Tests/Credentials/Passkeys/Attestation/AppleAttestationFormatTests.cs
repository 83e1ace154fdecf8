using EIdentity.Server.Credentials.Passkeys.Attestation;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Credentials.Passkeys.Attestation;

public sealed class AppleAttestationFormatTests : IDisposable
{
    private readonly AppleAttestationFormat _format = new();
    private readonly TestCertificateAuthority _root = TestCertificateAuthority.CreateRoot("CN=EIdentity Test Anonymous Attestation Root, O=EIdentity Tests, C=VN");
    private readonly TestCertificateAuthority _issuer;

    public AppleAttestationFormatTests() => _issuer = _root.CreateIntermediate("CN=EIdentity Test Anonymous Attestation CA, O=EIdentity Tests, C=VN");

    public void Dispose()
    {
        _issuer.Dispose();
        _root.Dispose();
    }

    [Fact]
    public void Apple_attestation_is_accepted_as_anonymization_CA_with_the_whole_chain_as_trust_path()
    {
        var result = Verify(new AppleTestAttestation(_issuer));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(AttestationType.AnonymizationCa, result.Type);
        Assert.Equal(2, result.TrustPath.Count);
        Assert.Equal(_issuer.Certificate.Thumbprint, result.TrustPath[1].Thumbprint);
    }

    [Fact]
    public void Apple_attestation_with_a_wrong_nonce_is_refused()
    {
        AttestationAssert.Refused(Verify(new AppleTestAttestation(_issuer) { WrongNonce = true }), "nonce in the apple credential certificate does not match");
    }

    [Fact]
    public void Apple_attestation_replayed_for_other_client_data_is_refused()
    {
        var result = AttestationCeremony.Register(new AppleTestAttestation(_issuer)).VerifyWithOtherClientData(_format);

        AttestationAssert.Refused(result, "does not match");
    }

    [Fact]
    public void Apple_attestation_without_a_nonce_extension_is_refused()
    {
        AttestationAssert.Refused(Verify(new AppleTestAttestation(_issuer) { OmitNonceExtension = true }), "no nonce extension");
    }

    [Fact]
    public void Apple_attestation_with_a_malformed_nonce_extension_is_refused()
    {
        AttestationAssert.Refused(Verify(new AppleTestAttestation(_issuer) { MalformedNonceExtension = true }), "DER structure");
    }

    [Fact]
    public void Apple_attestation_whose_certificate_is_for_another_key_is_refused()
    {
        AttestationAssert.Refused(Verify(new AppleTestAttestation(_issuer) { CertifyAnotherKey = true }), "different public key");
    }

    [Fact]
    public void Apple_attestation_without_certificates_is_refused()
    {
        AttestationAssert.Refused(Verify(new AppleTestAttestation(_issuer) { OmitCertificates = true }), "x5c");
    }

    private AttestationStatementResult Verify(AppleTestAttestation attestation) => AttestationCeremony.Register(attestation).VerifyWith(_format);
}
