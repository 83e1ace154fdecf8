using System.Formats.Cbor;
using System.Security.Cryptography;
using EIdentity.Server.Credentials.Passkeys.Attestation;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Credentials.Passkeys.Attestation;

public sealed class FidoU2fAttestationFormatTests : IDisposable
{
    private readonly FidoU2fAttestationFormat _format = new();
    private readonly TestCertificateAuthority _issuer = TestCertificateAuthority.CreateRoot("CN=EIdentity Test U2F Root, O=EIdentity Tests, C=VN");

    public void Dispose() => _issuer.Dispose();

    [Fact]
    public void Fido_u2f_attestation_is_accepted_as_basic_with_its_certificate_as_trust_path()
    {
        var result = Verify(new FidoU2fTestAttestation(_issuer));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(AttestationType.Basic, result.Type);
        var certificate = Assert.Single(result.TrustPath);
        Assert.Equal(_issuer.Certificate.Subject, certificate.Issuer);
    }

    [Fact]
    public void Fido_u2f_attestation_with_a_non_zero_AAGUID_is_still_accepted()
    {
        var result = AttestationCeremony.Register(new FidoU2fTestAttestation(_issuer), AttestationCeremony.ModelAaguid).VerifyWith(_format);

        Assert.True(result.IsValid, result.Reason);
    }

    [Fact]
    public void Fido_u2f_attestation_with_a_tampered_signature_is_refused()
    {
        AttestationAssert.Refused(Verify(new FidoU2fTestAttestation(_issuer) { TamperSignature = true }), "signature does not verify");
    }

    [Fact]
    public void Fido_u2f_attestation_replayed_for_other_client_data_is_refused()
    {
        var result = AttestationCeremony.Register(new FidoU2fTestAttestation(_issuer), Guid.Empty).VerifyWithOtherClientData(_format);

        AttestationAssert.Refused(result, "signature does not verify");
    }

    [Fact]
    public void Fido_u2f_attestation_without_a_signature_is_refused()
    {
        AttestationAssert.Refused(Verify(new FidoU2fTestAttestation(_issuer) { OmitSignature = true }), "sig is missing");
    }

    [Fact]
    public void Fido_u2f_attestation_with_extra_certificates_is_refused()
    {
        AttestationAssert.Refused(Verify(new FidoU2fTestAttestation(_issuer) { IncludeIssuerCertificate = true }), "exactly one");
    }

    [Fact]
    public void Fido_u2f_attestation_without_a_certificate_is_refused()
    {
        AttestationAssert.Refused(Verify(new FidoU2fTestAttestation(_issuer) { OmitCertificate = true }), "exactly one");
    }

    [Fact]
    public void Fido_u2f_attestation_with_a_P384_certificate_is_refused()
    {
        AttestationAssert.Refused(Verify(new FidoU2fTestAttestation(_issuer) { CertificateKeyIsP384 = true }), "certificate's public key is not an EC key on the P-256 curve");
    }

    [Fact]
    public void Fido_u2f_attestation_with_garbage_instead_of_a_certificate_is_refused()
    {
        var attestation = new FidoU2fTestAttestation(_issuer) { CertificateBytesOverride = RandomNumberGenerator.GetBytes(64) };

        AttestationAssert.Refused(Verify(attestation), "not a valid X.509 certificate");
    }

    [Fact]
    public void Fido_u2f_attestation_for_a_credential_key_that_is_not_P256_is_refused()
    {
        var ceremony = AttestationCeremony.Register(new FidoU2fTestAttestation(_issuer), Guid.Empty);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var key = CoseKey.TryDecode(EncodeEs384Key(p384), out var error);
        Assert.True(key is not null, error);

        var result = _format.Verify(ceremony.Attestation, key, ceremony.ClientDataHash);

        AttestationAssert.Refused(result, "credential key must be an ES256 key on the P-256 curve");
    }

    private AttestationStatementResult Verify(FidoU2fTestAttestation attestation)
        => AttestationCeremony.Register(attestation, Guid.Empty).VerifyWith(_format);

    // RFC 9053 7.1.1: EC2 key on P-384 (crv 2) for ES384.
    private static byte[] EncodeEs384Key(ECDsa key)
    {
        var point = key.ExportParameters(includePrivateParameters: false).Q;
        var writer = new CborWriter(CborConformanceMode.Ctap2Canonical);
        writer.WriteStartMap(5);
        writer.WriteInt32(1);
        writer.WriteInt32(2);
        writer.WriteInt32(3);
        writer.WriteInt32(-35);
        writer.WriteInt32(-1);
        writer.WriteInt32(2);
        writer.WriteInt32(-2);
        writer.WriteByteString(point.X!);
        writer.WriteInt32(-3);
        writer.WriteByteString(point.Y!);
        writer.WriteEndMap();
        return writer.Encode();
    }
}
