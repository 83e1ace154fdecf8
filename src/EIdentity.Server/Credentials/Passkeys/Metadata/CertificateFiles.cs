using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EIdentity.Server.Credentials.Passkeys.Metadata;

/// <summary>Reading certificates from operator files and base64 strings, and the U2F key identifier.</summary>
internal static class CertificateFiles
{
    /// <summary>Every certificate in a PEM file (one or more CERTIFICATE blocks) or a DER file.</summary>
    public static (IReadOnlyList<X509Certificate2> Certificates, byte[]? Bytes, string? Problem) LoadCertificates(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return ([], null, $"no file at {path}.");
        }
        catch (DirectoryNotFoundException)
        {
            return ([], null, $"no file at {path}.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ([], null, $"{path} cannot be read ({e.Message}).");
        }

        var certificates = Parse(bytes);
        return certificates.Count == 0
            ? ([], bytes, $"{path} holds no PEM or DER certificate.")
            : (certificates, bytes, null);
    }

    /// <summary>The single-certificate form of <see cref="LoadCertificates"/>: the first certificate in the file.</summary>
    public static (X509Certificate2? Certificate, string? Problem) LoadCertificate(string path)
    {
        var (certificates, _, problem) = LoadCertificates(path);
        foreach (var extra in certificates.Skip(1))
        {
            extra.Dispose();
        }

        return (certificates.Count > 0 ? certificates[0] : null, problem);
    }

    /// <summary>A certificate from base64 DER (MDS3 <c>attestationRootCertificates</c>, JWS <c>x5c</c>: RFC 7515 4.1.6).</summary>
    public static X509Certificate2? FromBase64(string value)
    {
        var buffer = new byte[value.Length];
        if (!Convert.TryFromBase64String(value, buffer, out var written))
        {
            return null;
        }

        try
        {
            return X509CertificateLoader.LoadCertificate(buffer.AsSpan(0, written));
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>
    /// The key identifier MDS3 lists for U2F authenticators: RFC 5280 4.2.1.2 method 1, SHA-1 of the
    /// subjectPublicKey bit string, lower-case hex.
    /// </summary>
    public static string KeyIdentifierOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        // Always computed, never read from the certificate's own SKI extension: MDS3 lists
        // attestationCertificateKeyIdentifiers by this method, and an issuer may use another.
#pragma warning disable CA5350 // SHA-1 is what the identifier is defined as (RFC 5280 4.2.1.2), not a security hash here.
        return Convert.ToHexStringLower(SHA1.HashData(certificate.PublicKey.EncodedKeyValue.RawData));
#pragma warning restore CA5350
    }

    private static List<X509Certificate2> Parse(byte[] bytes)
    {
        var certificates = new List<X509Certificate2>();
        var text = Encoding.ASCII.GetString(bytes);
        var remaining = text.AsSpan();
        while (PemEncoding.TryFind(remaining, out var fields))
        {
            if (remaining[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                var certificate = FromBase64(remaining[fields.Base64Data].ToString());
                if (certificate is not null)
                {
                    certificates.Add(certificate);
                }
            }

            remaining = remaining[fields.Location.End..];
        }

        if (certificates.Count == 0)
        {
            try
            {
                certificates.Add(X509CertificateLoader.LoadCertificate(bytes));
            }
            catch (CryptographicException)
            {
                // Neither PEM nor DER: the caller reports it.
            }
        }

        return certificates;
    }
}
