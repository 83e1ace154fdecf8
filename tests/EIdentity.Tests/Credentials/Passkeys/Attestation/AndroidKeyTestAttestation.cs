using System.Formats.Asn1;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Credentials.Passkeys.Attestation;

/// <summary>
/// An Android Keystore "android-key" statement (WebAuthn L3 8.4): the credential key signs
/// authenticatorData || clientDataHash and the given CA certifies it with a Keymaster key description
/// (1.3.6.1.4.1.11129.2.1.17). Each knob breaks one thing a verifier must notice.
/// </summary>
internal sealed class AndroidKeyTestAttestation(TestCertificateAuthority issuer) : TestAttestation
{
    public const int PurposeDecrypt = 1;
    public const int PurposeSign = 2;
    public const int PurposeVerify = 3;
    public const int OriginGenerated = 0;
    public const int OriginImported = 2;

    private enum SecurityLevel
    {
        Software = 0,
        TrustedEnvironment = 1,
    }

    public override string Format => "android-key";

    public bool TamperSignature { get; set; }

    /// <summary>The certificate certifies, and the statement is signed with, a key other than the credential's.</summary>
    public bool CertifyAnotherKey { get; set; }

    /// <summary>The attestationChallenge; null writes the client data hash as Keystore would.</summary>
    public byte[]? AttestationChallenge { get; set; }

    public bool AllApplicationsInTee { get; set; }

    public bool AllApplicationsInSoftware { get; set; }

    /// <summary>KM_TAG_ORIGIN; null leaves it out.</summary>
    public int? Origin { get; set; } = OriginGenerated;

    public int[] Purposes { get; set; } = [PurposeSign];

    /// <summary>Origin and purpose are in softwareEnforced instead of teeEnforced (a software-backed key).</summary>
    public bool AuthorizationsInSoftwareOnly { get; set; }

    public bool OmitKeyDescription { get; set; }

    /// <summary>x5c[0] holds bytes that are not a certificate.</summary>
    public bool CorruptCertificate { get; set; }

    /// <summary>The key description extension holds bytes that are not a KeyDescription.</summary>
    public bool MalformedKeyDescription { get; set; }

    protected override void WriteStatement(CborWriter writer, AttestationInput input)
    {
        using var other = CertifyAnotherKey ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        var key = other ?? input.CredentialKey;
        var request = new CertificateRequest("CN=Android Keystore Key", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        if (!OmitKeyDescription)
        {
            byte[] description = MalformedKeyDescription ? [0x30, 0x03, 0x02, 0x01] : BuildKeyDescription(AttestationChallenge ?? input.ClientDataHash);
            request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.11129.2.1.17", description, false));
        }

        using var certificate = issuer.Issue(request);
        var signature = key.SignData([.. input.AuthenticatorData, .. input.ClientDataHash], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        if (TamperSignature)
        {
            signature[^1] ^= 0x01;
        }

        writer.WriteStartMap(3);
        writer.WriteTextString("alg");
        writer.WriteInt32(-7);
        writer.WriteTextString("sig");
        writer.WriteByteString(signature);
        writer.WriteTextString("x5c");
        writer.WriteStartArray(2);
        writer.WriteByteString(CorruptCertificate ? certificate.RawData[..^40] : certificate.RawData);
        writer.WriteByteString(issuer.Certificate.RawData);
        writer.WriteEndArray();
        writer.WriteEndMap();
    }

    // Android Keymaster 4 KeyDescription schema (attestationVersion 3).
    private byte[] BuildKeyDescription(byte[] challenge)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(3);
            writer.WriteEnumeratedValue(SecurityLevel.TrustedEnvironment);
            writer.WriteInteger(4);
            writer.WriteEnumeratedValue(SecurityLevel.TrustedEnvironment);
            writer.WriteOctetString(challenge);
            writer.WriteOctetString([]);
            WriteAuthorizationList(writer, software: true);
            WriteAuthorizationList(writer, software: false);
        }

        return writer.Encode();
    }

    private void WriteAuthorizationList(AsnWriter writer, bool software)
    {
        var holdsKeyAuthorizations = software == AuthorizationsInSoftwareOnly;
        using (writer.PushSequence())
        {
            if (holdsKeyAuthorizations)
            {
                using (writer.PushSequence(Explicit(1)))
                using (writer.PushSetOf())
                {
                    foreach (var purpose in Purposes)
                    {
                        writer.WriteInteger(purpose);
                    }
                }

                // algorithm [2] KM_ALGORITHM_EC, keySize [3] 256, ecCurve [10] P-256, noAuthRequired [503].
                WriteExplicitInteger(writer, 2, 3);
                WriteExplicitInteger(writer, 3, 256);
                WriteExplicitInteger(writer, 10, 1);
                using (writer.PushSequence(Explicit(503)))
                {
                    writer.WriteNull();
                }
            }

            if (software ? AllApplicationsInSoftware : AllApplicationsInTee)
            {
                using (writer.PushSequence(Explicit(600)))
                {
                    writer.WriteNull();
                }
            }

            if (software)
            {
                // creationDateTime [701], a member the verifier must skip.
                WriteExplicitInteger(writer, 701, 1_700_000_000_000);
            }

            if (holdsKeyAuthorizations && Origin is { } origin)
            {
                WriteExplicitInteger(writer, 702, origin);
            }
        }
    }

    private static void WriteExplicitInteger(AsnWriter writer, int tag, long value)
    {
        using (writer.PushSequence(Explicit(tag)))
        {
            writer.WriteInteger(value);
        }
    }

    private static Asn1Tag Explicit(int tag) => new(TagClass.ContextSpecific, tag, isConstructed: true);
}
