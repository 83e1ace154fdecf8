using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Server.Credentials.Passkeys.Attestation;

/// <summary>
/// The requirements on a TPM attestation identity key (AIK) certificate (WebAuthn L3 8.3.1) and the
/// FIDO AAGUID extension check (WebAuthn L3 8.3 step 4). Each check returns the reason it failed, or null.
/// </summary>
internal static class TpmAikCertificate
{
    public const string AikCertificateUsage = "2.23.133.8.3";
    public const string TpmManufacturer = "2.23.133.2.1";
    public const string TpmModel = "2.23.133.2.2";
    public const string TpmVersion = "2.23.133.2.3";
    public const string FidoAaguidExtension = "1.3.6.1.4.1.45724.1.1.4";

    private const string SubjectAlternativeName = "2.5.29.17";

    /// <exception cref="CryptographicException">An extension is malformed.</exception>
    /// <exception cref="AsnContentException">The subject alternative name is malformed.</exception>
    public static string? CheckRequirements(X509Certificate2 certificate)
    {
        // WebAuthn L3 8.3.1: version 3.
        if (certificate.Version != 3)
        {
            return $"The TPM attestation certificate is X.509 version {certificate.Version}; version 3 is required.";
        }

        // WebAuthn L3 8.3.1: the subject is empty; the TPM is named in the subject alternative name instead.
        if (!IsEmptyName(certificate.SubjectName.RawData))
        {
            return "The TPM attestation certificate has a subject; a TPM attestation certificate must have an empty subject.";
        }

        // WebAuthn L3 8.3.1 and TPMv2-EK-Profile 3.2.9: a critical SAN naming manufacturer, model and version.
        var san = certificate.Extensions[SubjectAlternativeName];
        if (san is null)
        {
            return "The TPM attestation certificate has no subject alternative name naming the TPM.";
        }

        if (!san.Critical)
        {
            return "The TPM attestation certificate's subject alternative name is not marked critical, although its subject is empty.";
        }

        var attributes = ReadDirectoryNameAttributes(san.RawData);
        if (!attributes.TryGetValue(TpmManufacturer, out var manufacturer) || !IsVendorId(manufacturer))
        {
            return "The TPM attestation certificate's subject alternative name does not name the TPM manufacturer (tcg-at-tpmManufacturer as id:XXXXXXXX).";
        }

        if (!attributes.ContainsKey(TpmModel) || !attributes.ContainsKey(TpmVersion))
        {
            return "The TPM attestation certificate's subject alternative name does not name the TPM model and version.";
        }

        // WebAuthn L3 8.3.1: extended key usage tcg-kp-AIKCertificate.
        var usage = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (usage is null || !usage.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == AikCertificateUsage))
        {
            return "The TPM attestation certificate's extended key usage does not include TPM attestation identity key (2.23.133.8.3).";
        }

        // WebAuthn L3 8.3.1: not a CA. An absent basic constraints extension means not a CA (RFC 5280 4.2.1.9).
        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true })
        {
            return "The TPM attestation certificate is a certificate authority (basic constraints CA is true); it must be an end-entity certificate.";
        }

        return null;
    }

    /// <summary>WebAuthn L3 8.3 step 4: if present, id-fido-gen-ce-aaguid equals the authenticator data's AAGUID.</summary>
    /// <exception cref="AsnContentException">The extension is not an OCTET STRING.</exception>
    public static string? CheckAaguid(X509Certificate2 certificate, ReadOnlySpan<byte> aaguid)
    {
        if (certificate.Extensions[FidoAaguidExtension] is not { } extension)
        {
            return null;
        }

        var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
        var value = reader.ReadOctetString();
        reader.ThrowIfNotEmpty();
        return value.AsSpan().SequenceEqual(aaguid)
            ? null
            : "The AAGUID in the TPM attestation certificate does not match the AAGUID in the authenticator data.";
    }

    private static bool IsEmptyName(byte[] name)
    {
        var reader = new AsnReader(name, AsnEncodingRules.DER);
        var rdns = reader.ReadSequence();
        return !rdns.HasData && !reader.HasData;
    }

    // TPMv2-EK-Profile 3.2.9: the manufacturer is "id:" and the 4-byte TCG vendor ID in hexadecimal.
    private static bool IsVendorId(string value)
        => value.Length == 11 && value.StartsWith("id:", StringComparison.Ordinal) && IsHex(value.AsSpan(3));

    private static bool IsHex(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    // RFC 5280 4.2.1.6: GeneralNames; directoryName [4] is explicitly tagged because Name is a CHOICE.
    private static Dictionary<string, string> ReadDirectoryNameAttributes(byte[] extensionValue)
    {
        Dictionary<string, string> attributes = new(StringComparer.Ordinal);
        var reader = new AsnReader(extensionValue, AsnEncodingRules.DER);
        var names = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        var directoryName = new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true);
        while (names.HasData)
        {
            if (names.PeekTag() != directoryName)
            {
                names.ReadEncodedValue();
                continue;
            }

            var rdns = names.ReadSequence(directoryName).ReadSequence();
            while (rdns.HasData)
            {
                var rdn = rdns.ReadSetOf();
                while (rdn.HasData)
                {
                    var attribute = rdn.ReadSequence();
                    var type = attribute.ReadObjectIdentifier();
                    var tag = attribute.PeekTag();
                    if (tag.TagClass == TagClass.Universal && IsCharacterString((UniversalTagNumber)tag.TagValue))
                    {
                        attributes[type] = attribute.ReadCharacterString((UniversalTagNumber)tag.TagValue);
                    }
                    else
                    {
                        attribute.ReadEncodedValue();
                    }

                    attribute.ThrowIfNotEmpty();
                }
            }
        }

        return attributes;
    }

    private static bool IsCharacterString(UniversalTagNumber tag)
        => tag is UniversalTagNumber.UTF8String or UniversalTagNumber.PrintableString or UniversalTagNumber.IA5String
            or UniversalTagNumber.BMPString or UniversalTagNumber.T61String;
}
