using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EIdentity.Server.Credentials.Certificates;

/// <summary>
/// Issuer names and serial numbers in one spelling, so a block entered by an officer (typed, or
/// read from a file) matches the certificate a citizen presents whatever string types the CA used.
/// </summary>
internal static class CertificateNames
{
    /// <summary>
    /// <c>oid=value</c> per attribute, RDNs in order, values trimmed, inner whitespace collapsed and
    /// lowercased (the RFC 5280 7.1 / RFC 4518 comparison, simplified), joined by <c>,</c> and <c>+</c>.
    /// </summary>
    public static string Canonical(X500DistinguishedName name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var builder = new StringBuilder();
        var reader = new AsnReader(name.RawData, AsnEncodingRules.DER);
        var rdns = reader.ReadSequence();
        var firstRdn = true;
        while (rdns.HasData)
        {
            builder.Append(firstRdn ? "" : ",");
            firstRdn = false;
            var set = rdns.ReadSetOf();
            var firstAttribute = true;
            while (set.HasData)
            {
                builder.Append(firstAttribute ? "" : "+");
                firstAttribute = false;
                var attribute = set.ReadSequence();
                var oid = attribute.ReadObjectIdentifier();
                builder.Append(oid).Append('=').Append(Normalize(ReadValue(attribute)));
            }
        }

        return builder.ToString();
    }

    /// <summary>Parses a typed name such as <c>CN=Dev Licensed CA 1, O=Example, C=VN</c>.</summary>
    public static bool TryParse(string? text, out X500DistinguishedName? name)
    {
        name = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        try
        {
            name = new X500DistinguishedName(text, X500DistinguishedNameFlags.UseCommas);
            return name.RawData.Length > 2;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Lowercase hex without leading zeros, from the certificate's big-endian serial number.</summary>
    public static string Serial(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Serial(certificate.SerialNumberBytes.Span);
    }

    public static string Serial(ReadOnlySpan<byte> bigEndian)
    {
        var hex = Convert.ToHexStringLower(bigEndian).TrimStart('0');
        return hex.Length == 0 ? "0" : hex;
    }

    /// <summary>Accepts hex with or without <c>0x</c>, colons or spaces (as tools print serials).</summary>
    public static bool TryParseSerial(string? text, out string serial)
    {
        serial = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var hex = text.Trim();
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            hex = hex[2..];
        }

        hex = hex.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        if (hex.Length is 0 or > 64 || !hex.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        hex = hex.ToLowerInvariant().TrimStart('0');
        serial = hex.Length == 0 ? "0" : hex;
        return true;
    }

    /// <summary>The certificate's common name (for the citizen's own account page), or the whole subject.</summary>
    public static string CommonName(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var cn = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return string.IsNullOrWhiteSpace(cn) ? certificate.Subject : cn;
    }

    private static string ReadValue(AsnReader attribute)
    {
        // Character strings compare by their text; anything else by its encoding.
        var encoded = attribute.PeekEncodedValue();
        return CertificateIdentifiers.ReadDirectoryString(attribute, "name", problems: [])
            ?? "#" + Convert.ToHexStringLower(encoded.Span);
    }

    private static string Normalize(string value) =>
        string.Join(' ', value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLower(CultureInfo.InvariantCulture);

}
