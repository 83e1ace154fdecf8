using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Tests.Infrastructure;

/// <summary>
/// "fido-u2f" attestation (WebAuthn L3 8.6) as a FIDO U2F key makes it: a registration signature by
/// one P-256 attestation certificate the given test CA issues. The settable members break one requirement at a time.
/// </summary>
public sealed class FidoU2fTestAttestation(TestCertificateAuthority authority) : TestAttestation
{
    private readonly TestCertificateAuthority _authority = authority ?? throw new ArgumentNullException(nameof(authority));

    public override string Format => "fido-u2f";

    /// <summary>Flips a bit of <c>s</c>, so the DER stays well formed and only the math fails.</summary>
    public bool TamperSignature { get; set; }

    public bool OmitSignature { get; set; }

    /// <summary>Gives the attestation certificate a P-384 key instead of P-256.</summary>
    public bool CertificateKeyIsP384 { get; set; }

    /// <summary>Appends the issuing CA's certificate to <c>x5c</c>, which U2F does not allow.</summary>
    public bool IncludeIssuerCertificate { get; set; }

    public bool OmitCertificate { get; set; }

    /// <summary>When set, the attestation key (otherwise a new one per registration), so a test can know its certificate's key identifier.</summary>
    public ECDsa? AttestationKey { get; set; }

    /// <summary>When set, <c>x5c[0]</c> holds these bytes instead of a certificate.</summary>
    public byte[]? CertificateBytesOverride { get; set; }

    protected override void WriteStatement(CborWriter writer, AttestationInput input)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(input);

        // WebAuthn L3 8.6 step 5 / FIDO U2F raw message 4.3: 0x00 || rpIdHash || clientDataHash || credentialId || publicKeyU2F.
        var point = input.CredentialKey.ExportParameters(includePrivateParameters: false).Q;
        byte[] verificationData = [0x00, .. input.AuthenticatorData.AsSpan(0, 32), .. input.ClientDataHash, .. input.CredentialId, 0x04, .. point.X!, .. point.Y!];

        using var ownKey = AttestationKey is null ? ECDsa.Create(CertificateKeyIsP384 ? ECCurve.NamedCurves.nistP384 : ECCurve.NamedCurves.nistP256) : null;
        var key = AttestationKey ?? ownKey!;
        var request = new CertificateRequest("C=VN, O=EIdentity Test Authenticators, CN=EIdentity Test U2F Attestation", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using var certificate = _authority.Issue(request);

        List<byte[]> chain = [];
        if (!OmitCertificate)
        {
            chain.Add(CertificateBytesOverride ?? certificate.RawData);
        }

        if (IncludeIssuerCertificate)
        {
            chain.Add(_authority.Certificate.RawData);
        }

        var signature = key.SignData(verificationData, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        if (TamperSignature)
        {
            signature[^1] ^= 0x01;
        }

        writer.WriteStartMap(OmitSignature ? 1 : 2);
        if (!OmitSignature)
        {
            writer.WriteTextString("sig");
            writer.WriteByteString(signature);
        }

        writer.WriteTextString("x5c");
        writer.WriteStartArray(chain.Count);
        foreach (var encoded in chain)
        {
            writer.WriteByteString(encoded);
        }

        writer.WriteEndArray();
        writer.WriteEndMap();
    }
}
