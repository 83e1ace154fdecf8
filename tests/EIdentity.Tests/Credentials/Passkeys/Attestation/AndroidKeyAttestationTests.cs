using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using EIdentity.Server.Credentials.Passkeys.Attestation;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Credentials.Passkeys.Attestation;

public sealed class AndroidKeyAttestationTests : IDisposable
{
    private readonly TestCertificateAuthority _root = TestCertificateAuthority.CreateRoot("CN=Test Android Attestation Root");
    private readonly TestCertificateAuthority _issuer;

    public AndroidKeyAttestationTests() => _issuer = _root.CreateIntermediate("CN=Test Android Keystore CA");

    [Fact]
    public void Android_key_attestation_of_a_tee_generated_signing_key_is_basic_with_x5c_as_trust_path()
    {
        var (result, statement) = Register(new AndroidKeyTestAttestation(_issuer));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(AttestationType.Basic, result.Type);
        Assert.Equal(statement.Certificates, result.TrustPath.Select(c => c.RawData));
        Assert.Equal(_issuer.Certificate.Thumbprint, result.TrustPath[1].Thumbprint);
        Dispose(result);
    }

    [Fact]
    public void Android_key_attestation_with_a_tampered_signature_is_refused()
        => AssertRefused(new AndroidKeyTestAttestation(_issuer) { TamperSignature = true }, "signature does not verify");

    [Fact]
    public void Android_key_attestation_whose_certificate_holds_another_key_is_refused()
        => AssertRefused(new AndroidKeyTestAttestation(_issuer) { CertifyAnotherKey = true }, "certifies another key than the credential public key");

    [Fact]
    public void Android_key_attestation_with_a_wrong_attestationChallenge_is_refused()
        => AssertRefused(new AndroidKeyTestAttestation(_issuer) { AttestationChallenge = RandomNumberGenerator.GetBytes(32) }, "attestation challenge does not match the hash of the client data");

    [Fact]
    public void Android_key_usable_by_all_applications_in_the_tee_list_is_refused()
        => AssertRefused(new AndroidKeyTestAttestation(_issuer) { AllApplicationsInTee = true }, "all applications");

    [Fact]
    public void Android_key_usable_by_all_applications_in_the_software_list_is_refused()
        => AssertRefused(new AndroidKeyTestAttestation(_issuer) { AllApplicationsInSoftware = true }, "all applications");

    [Fact]
    public void Android_key_that_was_imported_rather_than_generated_is_refused()
        => AssertRefused(new AndroidKeyTestAttestation(_issuer) { Origin = AndroidKeyTestAttestation.OriginImported }, "not KM_ORIGIN_GENERATED");

    [Fact]
    public void Android_key_without_a_stated_origin_is_refused()
        => AssertRefused(new AndroidKeyTestAttestation(_issuer) { Origin = null }, "origin is not enforced by a trusted execution environment");

    [Fact]
    public void Android_key_whose_purpose_lacks_sign_is_refused()
        => AssertRefused(
            new AndroidKeyTestAttestation(_issuer) { Purposes = [AndroidKeyTestAttestation.PurposeDecrypt, AndroidKeyTestAttestation.PurposeVerify] },
            "not authorized for signing");

    [Fact]
    public void Android_key_whose_authorizations_only_software_enforces_is_refused_by_default()
        => AssertRefused(new AndroidKeyTestAttestation(_issuer) { AuthorizationsInSoftwareOnly = true }, "software-only keys are not accepted");

    [Fact]
    public void Android_key_whose_authorizations_only_software_enforces_is_accepted_when_the_relying_party_allows_it()
    {
        var format = new AndroidKeyAttestationFormat { AcceptSoftwareEnforcedAuthorizations = true };

        var (result, _) = Register(new AndroidKeyTestAttestation(_issuer) { AuthorizationsInSoftwareOnly = true }, format);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(AttestationType.Basic, result.Type);
        Dispose(result);
    }

    [Fact]
    public void Android_key_certificate_without_a_key_description_is_refused()
        => AssertRefused(new AndroidKeyTestAttestation(_issuer) { OmitKeyDescription = true }, "no key description extension");

    [Fact]
    public void Android_key_certificate_with_a_malformed_key_description_is_refused()
        => AssertRefused(new AndroidKeyTestAttestation(_issuer) { MalformedKeyDescription = true }, "key description extension is malformed");

    [Fact]
    public void Android_key_attestation_whose_certificate_is_not_a_certificate_is_refused()
        => AssertRefused(new AndroidKeyTestAttestation(_issuer) { CorruptCertificate = true }, "x5c is malformed");

    public void Dispose()
    {
        _issuer.Dispose();
        _root.Dispose();
    }

    private static void AssertRefused(AndroidKeyTestAttestation attestation, string reason)
    {
        var (result, _) = Register(attestation);

        Assert.False(result.IsValid);
        Assert.Contains(reason, result.Reason, StringComparison.Ordinal);
        Assert.Empty(result.TrustPath);
    }

    private static (AttestationStatementResult Result, AttestationStatement Statement) Register(AndroidKeyTestAttestation attestation, AndroidKeyAttestationFormat? format = null)
    {
        var ceremony = AttestationCeremony.Register(attestation, Guid.Empty);
        Assert.Equal("android-key", ceremony.Attestation.Format);
        return (ceremony.VerifyWith(format ?? new AndroidKeyAttestationFormat()), ceremony.Attestation.Statement);
    }

    private static void Dispose(AttestationStatementResult result)
    {
        foreach (var certificate in result.TrustPath)
        {
            certificate.Dispose();
        }
    }
}
