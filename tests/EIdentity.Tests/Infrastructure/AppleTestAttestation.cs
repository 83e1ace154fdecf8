using System.Formats.Asn1;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Tests.Infrastructure;

/// <summary>
/// "apple" anonymous attestation (WebAuthn L3 8.8) as an Apple device makes it: a credential certificate
/// for the credential key, with the registration nonce in extension 1.2.840.113635.100.8.2, issued by
/// the given test CA (standing in for the Apple WebAuthn CA). The settable members break one requirement at a time.
/// </summary>
public sealed class AppleTestAttestation(TestCertificateAuthority authority) : TestAttestation
{
    private const string NonceExtensionOid = "1.2.840.113635.100.8.2";

    private readonly TestCertificateAuthority _authority = authority ?? throw new ArgumentNullException(nameof(authority));

    public override string Format => "apple";

    /// <summary>Certifies a nonce over different data.</summary>
    public bool WrongNonce { get; set; }

    public bool OmitNonceExtension { get; set; }

    /// <summary>Writes the nonce as a bare OCTET STRING, without the SEQUENCE and [1] tag.</summary>
    public bool MalformedNonceExtension { get; set; }

    /// <summary>Issues the credential certificate for a fresh key instead of the credential key.</summary>
    public bool CertifyAnotherKey { get; set; }

    public bool OmitCertificates { get; set; }

    protected override void WriteStatement(CborWriter writer, AttestationInput input)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(input);

        // WebAuthn L3 8.8 steps 2-3: nonce = SHA-256(authenticatorData || clientDataHash).
        var nonce = SHA256.HashData([.. input.AuthenticatorData, .. input.ClientDataHash]);
        if (WrongNonce)
        {
            nonce[0] ^= 0x01;
        }

        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=EIdentity Test Credential, OU=Test Certification Authority, O=EIdentity Tests, C=VN",
            CertifyAnotherKey ? otherKey : input.CredentialKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        if (!OmitNonceExtension)
        {
            request.CertificateExtensions.Add(new X509Extension(NonceExtensionOid, EncodeNonce(nonce, MalformedNonceExtension), critical: false));
        }

        using var credentialCertificate = _authority.Issue(request);
        byte[][] chain = OmitCertificates ? [] : [credentialCertificate.RawData, _authority.Certificate.RawData];

        writer.WriteStartMap(1);
        writer.WriteTextString("x5c");
        writer.WriteStartArray(chain.Length);
        foreach (var encoded in chain)
        {
            writer.WriteByteString(encoded);
        }

        writer.WriteEndArray();
        writer.WriteEndMap();
    }

    // WebAuthn L3 8.8: SEQUENCE { nonce [1] EXPLICIT OCTET STRING }.
    private static byte[] EncodeNonce(byte[] nonce, bool malformed)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        if (malformed)
        {
            writer.WriteOctetString(nonce);
            return writer.Encode();
        }

        using (writer.PushSequence())
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 1, isConstructed: true)))
        {
            writer.WriteOctetString(nonce);
        }

        return writer.Encode();
    }
}
