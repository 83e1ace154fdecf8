using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Credentials.Passkeys.Attestation;

/// <summary>
/// A TPM 2.0 authenticator's "tpm" statement (WebAuthn L3 8.3): TPM2_Certify of the ES256 credential
/// key (an ECC P-256 pubArea with nameAlg SHA-256), signed with an attestation identity key whose
/// certificate the given CA issues. Each knob breaks one thing a verifier must notice.
/// </summary>
internal sealed class TpmTestAttestation(TestCertificateAuthority issuer) : TestAttestation
{
    public const string Manufacturer = "id:49465800";

    private const ushort AlgSha256 = 0x000B;
    private const ushort AlgNull = 0x0010;
    private const ushort AlgEcdsa = 0x0018;
    private const ushort AlgEcc = 0x0023;
    private const ushort EccNistP256 = 0x0003;

    // TPMA_OBJECT: fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | sign.
    private const uint SigningKeyAttributes = 0x00000002 | 0x00000010 | 0x00000020 | 0x00000040 | 0x00040000;

    public override string Format => "tpm";

    public string Version { get; set; } = "2.0";

    public int Algorithm { get; set; } = -7;

    public uint Magic { get; set; } = 0xff544347;

    public ushort AttestType { get; set; } = 0x8017;

    public bool TamperSignature { get; set; }

    public bool WrongExtraData { get; set; }

    public bool WrongName { get; set; }

    /// <summary>The pubArea (and the name certified for it) describes a key other than the credential's.</summary>
    public bool PubAreaForAnotherKey { get; set; }

    /// <summary>Cuts the last bytes off certInfo after signing, as a broken transport would.</summary>
    public bool TruncateCertInfo { get; set; }

    public bool OmitCertificates { get; set; }

    /// <summary>x5c[0] holds bytes that are not a certificate.</summary>
    public bool CorruptAikCertificate { get; set; }

    /// <summary>The AIK subject; null writes the empty subject TPM AIK certificates have.</summary>
    public string? AikSubject { get; set; }

    public bool OmitAikUsage { get; set; }

    public bool AikIsCertificateAuthority { get; set; }

    public bool OmitSubjectAlternativeName { get; set; }

    public bool SubjectAlternativeNameCritical { get; set; } = true;

    public bool OmitManufacturer { get; set; }

    /// <summary>The AAGUID in the AIK certificate's FIDO extension; null copies the authenticator data's.</summary>
    public Guid? CertificateAaguid { get; set; }

    protected override void WriteStatement(CborWriter writer, AttestationInput input)
    {
        using var other = PubAreaForAnotherKey ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        var pubArea = BuildPubArea(other ?? input.CredentialKey);

        var name = new byte[2 + 32];
        BinaryPrimitives.WriteUInt16BigEndian(name, AlgSha256);
        SHA256.HashData(pubArea, name.AsSpan(2));
        var extraData = SHA256.HashData([.. input.AuthenticatorData, .. input.ClientDataHash]);
        if (WrongName)
        {
            name[^1] ^= 0x01;
        }

        if (WrongExtraData)
        {
            extraData[0] ^= 0x01;
        }

        var certInfo = BuildCertInfo(extraData, name);

        using var aikKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var aik = issuer.Issue(BuildAikRequest(aikKey, input.Aaguid));
        var signature = aikKey.SignData(certInfo, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        if (TamperSignature)
        {
            signature[^1] ^= 0x01;
        }

        if (TruncateCertInfo)
        {
            certInfo = certInfo[..^10];
        }

        writer.WriteStartMap(OmitCertificates ? 5 : 6);
        writer.WriteTextString("ver");
        writer.WriteTextString(Version);
        writer.WriteTextString("alg");
        writer.WriteInt32(Algorithm);
        if (!OmitCertificates)
        {
            writer.WriteTextString("x5c");
            writer.WriteStartArray(2);
            writer.WriteByteString(CorruptAikCertificate ? aik.RawData[..^40] : aik.RawData);
            writer.WriteByteString(issuer.Certificate.RawData);
            writer.WriteEndArray();
        }

        writer.WriteTextString("sig");
        writer.WriteByteString(signature);
        writer.WriteTextString("certInfo");
        writer.WriteByteString(certInfo);
        writer.WriteTextString("pubArea");
        writer.WriteByteString(pubArea);
        writer.WriteEndMap();
    }

    // TPMT_PUBLIC (TPM 2.0 Part 2, 12.2.4) for an ECDSA P-256 signing key.
    private static byte[] BuildPubArea(ECDsa key)
    {
        var point = key.ExportParameters(includePrivateParameters: false).Q;
        var buffer = new List<byte>();
        AppendUInt16(buffer, AlgEcc);
        AppendUInt16(buffer, AlgSha256);
        AppendUInt32(buffer, SigningKeyAttributes);
        AppendSized(buffer, []);
        AppendUInt16(buffer, AlgNull);
        AppendUInt16(buffer, AlgEcdsa);
        AppendUInt16(buffer, AlgSha256);
        AppendUInt16(buffer, EccNistP256);
        AppendUInt16(buffer, AlgNull);
        AppendSized(buffer, point.X!);
        AppendSized(buffer, point.Y!);
        return [.. buffer];
    }

    // TPMS_ATTEST (TPM 2.0 Part 2, 10.12.12) with TPMS_CERTIFY_INFO.
    private byte[] BuildCertInfo(byte[] extraData, byte[] name)
    {
        var buffer = new List<byte>();
        AppendUInt32(buffer, Magic);
        AppendUInt16(buffer, AttestType);
        AppendSized(buffer, [0x00, 0x0B, .. RandomNumberGenerator.GetBytes(32)]);
        AppendSized(buffer, extraData);
        buffer.AddRange(RandomNumberGenerator.GetBytes(8 + 4 + 4));
        buffer.Add(0x01);
        buffer.AddRange(RandomNumberGenerator.GetBytes(8));
        AppendSized(buffer, name);
        AppendSized(buffer, [0x00, 0x0B, .. RandomNumberGenerator.GetBytes(32)]);
        return [.. buffer];
    }

    // WebAuthn L3 8.3.1 and TPMv2-EK-Profile 3.2.9.
    private CertificateRequest BuildAikRequest(ECDsa key, Guid aaguid)
    {
        var request = new CertificateRequest(new X500DistinguishedName(AikSubject ?? string.Empty), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(AikIsCertificateAuthority, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(OmitAikUsage ? "1.3.6.1.5.5.7.3.2" : "2.23.133.8.3")], false));
        if (!OmitSubjectAlternativeName)
        {
            request.CertificateExtensions.Add(new X509Extension("2.5.29.17", BuildTpmSubjectAlternativeName(), SubjectAlternativeNameCritical));
        }

        var aaguidWriter = new AsnWriter(AsnEncodingRules.DER);
        aaguidWriter.WriteOctetString((CertificateAaguid ?? aaguid).ToByteArray(bigEndian: true));
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.45724.1.1.4", aaguidWriter.Encode(), false));
        return request;
    }

    // GeneralNames with one directoryName holding a multi-valued RDN, as Windows AIK certificates do.
    private byte[] BuildTpmSubjectAlternativeName()
    {
        List<(string Oid, string Value)> attributes = [("2.23.133.2.2", "SLB9670"), ("2.23.133.2.3", "id:0007003D")];
        if (!OmitManufacturer)
        {
            attributes.Add(("2.23.133.2.1", Manufacturer));
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
        using (writer.PushSequence())
        using (writer.PushSetOf())
        {
            foreach (var (oid, value) in attributes)
            {
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(oid);
                    writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
                }
            }
        }

        return writer.Encode();
    }

    private static void AppendUInt16(List<byte> buffer, ushort value)
    {
        buffer.Add((byte)(value >> 8));
        buffer.Add((byte)value);
    }

    private static void AppendUInt32(List<byte> buffer, uint value)
    {
        AppendUInt16(buffer, (ushort)(value >> 16));
        AppendUInt16(buffer, (ushort)value);
    }

    private static void AppendSized(List<byte> buffer, byte[] value)
    {
        AppendUInt16(buffer, (ushort)value.Length);
        buffer.AddRange(value);
    }
}
