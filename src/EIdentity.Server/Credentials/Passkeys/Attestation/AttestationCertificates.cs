using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Server.Credentials.Passkeys.Attestation;

/// <summary>Certificate checks shared by the attestation statement formats that carry an <c>x5c</c> chain.</summary>
internal static class AttestationCertificates
{
    // FIDO Authenticator Metadata / WebAuthn L3 8.2.1: id-fido-gen-ce-aaguid.
    public const string AaguidExtensionOid = "1.3.6.1.4.1.45724.1.1.4";

    private const string BasicConstraintsOid = "2.5.29.19";

    // RFC 5480 2.1.1: id-ecPublicKey and the secp256r1 named curve.
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string NistP256Oid = "1.2.840.10045.3.1.7";

    /// <summary>
    /// Decodes the <c>x5c</c> DER certificates, attestation certificate first. Returns null and a
    /// reason when one of them is not a certificate; the caller owns (and disposes) what it returns.
    /// </summary>
    public static X509Certificate2[]? TryLoad(IReadOnlyList<byte[]> encoded, string format, out string? error)
    {
        var certificates = new List<X509Certificate2>(encoded.Count);
        foreach (var der in encoded)
        {
            try
            {
                certificates.Add(X509CertificateLoader.LoadCertificate(der));
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                var position = certificates.Count + 1;
                Release(certificates);
                error = $"Certificate {position} in the {format} attestation's x5c chain is not a valid X.509 certificate.";
                return null;
            }
        }

        error = null;
        return [.. certificates];
    }

    /// <summary>Disposes certificates that will not be handed on as a trust path.</summary>
    public static void Release(IEnumerable<X509Certificate2> certificates)
    {
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }

    /// <summary>
    /// WebAuthn L3 8.2.1: when the certificate carries id-fido-gen-ce-aaguid, the extension is not
    /// critical and its OCTET STRING holds the AAGUID of the authenticator data. Returns a reason or null.
    /// </summary>
    public static string? CheckAaguidExtension(X509Certificate2 certificate, ReadOnlySpan<byte> aaguid, string format)
    {
        if (certificate.Extensions[AaguidExtensionOid] is not { } extension)
        {
            return null;
        }

        if (extension.Critical)
        {
            return $"The {format} attestation certificate marks its AAGUID extension as critical, which the WebAuthn specification forbids.";
        }

        byte[] value;
        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            value = reader.ReadOctetString();
            reader.ThrowIfNotEmpty();
        }
        catch (AsnContentException)
        {
            return $"The AAGUID extension of the {format} attestation certificate is not a DER-encoded OCTET STRING.";
        }

        if (value.Length != 16)
        {
            return $"The AAGUID extension of the {format} attestation certificate holds {value.Length} bytes instead of a 16-byte AAGUID.";
        }

        return value.AsSpan().SequenceEqual(aaguid)
            ? null
            : $"The {format} attestation certificate is for authenticator model (AAGUID) {new Guid(value, bigEndian: true)}, "
                + $"but the authenticator data claims {new Guid(aaguid, bigEndian: true)}.";
    }

    /// <summary>
    /// Whether the certificate is marked as a certificate authority. An absent basic constraints
    /// extension means an end-entity certificate (RFC 5280 4.2.1.9).
    /// </summary>
    public static bool IsCertificateAuthority(X509Certificate2 certificate)
        => certificate.Extensions[BasicConstraintsOid] is X509BasicConstraintsExtension { CertificateAuthority: true };

    /// <summary>Whether the certificate's subject public key is an EC key on the P-256 curve (RFC 5480 2.1.1.1).</summary>
    public static bool HasP256Key(X509Certificate2 certificate)
    {
        var key = certificate.PublicKey;
        if (key.Oid.Value != EcPublicKeyOid || key.EncodedParameters?.RawData is not { } parameters)
        {
            return false;
        }

        try
        {
            var reader = new AsnReader(parameters, AsnEncodingRules.DER);
            var curve = reader.ReadObjectIdentifier();
            reader.ThrowIfNotEmpty();
            return curve == NistP256Oid;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}
