using System.Formats.Asn1;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Tests.Infrastructure;

/// <summary>
/// "packed" attestation (WebAuthn L3 8.2) as a security key makes it: signed by an attestation
/// certificate from a test CA (<see cref="WithCertificate"/>) or by the credential key (<see cref="Self"/>).
/// The settable members break one requirement at a time.
/// </summary>
public sealed class PackedTestAttestation : TestAttestation
{
    public const string ProperSubject = "C=VN, O=EIdentity Test Authenticators, OU=Authenticator Attestation, CN=EIdentity Test Key Attestation";

    private const int CoseAlgorithmEs256 = -7;

    private readonly TestCertificateAuthority? _authority;

    private PackedTestAttestation(TestCertificateAuthority? authority) => _authority = authority;

    public override string Format => "packed";

    /// <summary>The <c>alg</c> written in the statement; null leaves it out. The signature is always ES256.</summary>
    public int? Algorithm { get; set; } = CoseAlgorithmEs256;

    public bool OmitSignature { get; set; }

    /// <summary>Flips a bit of <c>s</c>, so the DER stays well formed and only the math fails.</summary>
    public bool TamperSignature { get; set; }

    public string Subject { get; set; } = ProperSubject;

    /// <summary>Issues the attestation certificate with basic constraints CA=true.</summary>
    public bool CertificateIsAuthority { get; set; }

    /// <summary>Makes the attestation certificate a self-signed X.509 version 1 certificate (no extensions).</summary>
    public bool CertificateIsVersion1 { get; set; }

    public bool IncludeAaguidExtension { get; set; } = true;

    /// <summary>The AAGUID the certificate names; null names the authenticator's own AAGUID.</summary>
    public Guid? CertificateAaguid { get; set; }

    /// <summary>When set, the AAGUID extension holds these bytes instead of a 16-byte AAGUID.</summary>
    public byte[]? AaguidExtensionValue { get; set; }

    public bool AaguidExtensionIsCritical { get; set; }

    /// <summary>Appends the issuing CA's certificate to <c>x5c</c>.</summary>
    public bool IncludeIssuerCertificate { get; set; }

    /// <summary>When set, <c>x5c[0]</c> holds these bytes instead of a certificate.</summary>
    public byte[]? CertificateBytesOverride { get; set; }

    /// <summary>When set, the attestation key (otherwise a new one per registration), so a test can know its certificate's key identifier.</summary>
    public ECDsa? AttestationKey { get; set; }

    /// <summary>When set, the attestation certificate's validity period (to make an expired one).</summary>
    public (DateTimeOffset NotBefore, DateTimeOffset NotAfter)? CertificateValidity { get; set; }

    /// <summary>Attestation with a certificate the given CA issues (x5c mode).</summary>
    public static PackedTestAttestation WithCertificate(TestCertificateAuthority authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        return new PackedTestAttestation(authority);
    }

    /// <summary>Self attestation: no certificate, signed by the credential key.</summary>
    public static PackedTestAttestation Self() => new(authority: null);

    protected override void WriteStatement(CborWriter writer, AttestationInput input)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(input);

        // WebAuthn L3 8.2: the signature covers authenticatorData || clientDataHash.
        byte[] signedData = [.. input.AuthenticatorData, .. input.ClientDataHash];
        List<byte[]> chain = [];
        byte[] signature;
        if (_authority is null)
        {
            signature = input.CredentialKey.SignData(signedData, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        else
        {
            using var ownKey = AttestationKey is null ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
            var key = AttestationKey ?? ownKey!;
            chain.Add(CertificateBytesOverride ?? IssueCertificate(_authority, key, input.Aaguid));
            if (IncludeIssuerCertificate)
            {
                chain.Add(_authority.Certificate.RawData);
            }

            signature = key.SignData(signedData, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }

        if (TamperSignature)
        {
            signature[^1] ^= 0x01;
        }

        writer.WriteStartMap((Algorithm is null ? 0 : 1) + (OmitSignature ? 0 : 1) + (chain.Count > 0 ? 1 : 0));
        if (Algorithm is { } algorithm)
        {
            writer.WriteTextString("alg");
            writer.WriteInt32(algorithm);
        }

        if (!OmitSignature)
        {
            writer.WriteTextString("sig");
            writer.WriteByteString(signature);
        }

        if (chain.Count > 0)
        {
            writer.WriteTextString("x5c");
            writer.WriteStartArray(chain.Count);
            foreach (var certificate in chain)
            {
                writer.WriteByteString(certificate);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndMap();
    }

    private byte[] IssueCertificate(TestCertificateAuthority authority, ECDsa key, Guid aaguid)
    {
        if (CertificateIsVersion1)
        {
            return SelfSignedVersion1(new X500DistinguishedName(Subject), key);
        }

        var request = new CertificateRequest(Subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(CertificateIsAuthority, false, 0, true));
        if (IncludeAaguidExtension)
        {
            var value = AaguidExtensionValue ?? (CertificateAaguid ?? aaguid).ToByteArray(bigEndian: true);
            request.CertificateExtensions.Add(AaguidExtension(value, AaguidExtensionIsCritical));
        }

        using var certificate = authority.Issue(request, CertificateValidity?.NotBefore, CertificateValidity?.NotAfter);
        return certificate.RawData;
    }

    /// <summary>id-fido-gen-ce-aaguid (1.3.6.1.4.1.45724.1.1.4): an OCTET STRING wrapping the AAGUID.</summary>
    public static X509Extension AaguidExtension(byte[] value, bool critical)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(value);
        return new X509Extension("1.3.6.1.4.1.45724.1.1.4", writer.Encode(), critical);
    }

    // RFC 5280 4.1: a TBSCertificate without the version field is version 1 (CertificateRequest only makes version 3).
    private static byte[] SelfSignedVersion1(X500DistinguishedName subject, ECDsa key)
    {
        var signatureAlgorithm = new AsnWriter(AsnEncodingRules.DER);
        using (signatureAlgorithm.PushSequence())
        {
            signatureAlgorithm.WriteObjectIdentifier("1.2.840.10045.4.3.2");
        }

        var tbs = new AsnWriter(AsnEncodingRules.DER);
        using (tbs.PushSequence())
        {
            tbs.WriteInteger(RandomNumberGenerator.GetInt32(1, int.MaxValue));
            tbs.WriteEncodedValue(signatureAlgorithm.Encode());
            tbs.WriteEncodedValue(subject.RawData);
            using (tbs.PushSequence())
            {
                tbs.WriteUtcTime(DateTimeOffset.UtcNow.AddDays(-1));
                tbs.WriteUtcTime(DateTimeOffset.UtcNow.AddYears(1));
            }

            tbs.WriteEncodedValue(subject.RawData);
            tbs.WriteEncodedValue(key.ExportSubjectPublicKeyInfo());
        }

        var toBeSigned = tbs.Encode();
        var certificate = new AsnWriter(AsnEncodingRules.DER);
        using (certificate.PushSequence())
        {
            certificate.WriteEncodedValue(toBeSigned);
            certificate.WriteEncodedValue(signatureAlgorithm.Encode());
            certificate.WriteBitString(key.SignData(toBeSigned, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        }

        return certificate.Encode();
    }
}
