using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509;

namespace EIdentity.Server.Credentials.Certificates.Revocation;

/// <summary>How certificates are named in logs and cache keys: never by subject.</summary>
internal static class RevocationIds
{
    public static string Serial(X509Certificate certificate) => certificate.SerialNumber.ToString(16).ToUpperInvariant();

    /// <summary>
    /// The issuer's subject key identifier when it has one (an operator finds it in the CA
    /// certificate), else a SHA-256 of its public key.
    /// </summary>
    public static string IssuerKeyId(X509Certificate issuer)
    {
        try
        {
            if (issuer.GetExtensionValue(X509Extensions.SubjectKeyIdentifier) is { } value
                && Asn1Object.FromByteArray(value.GetOctets()) is Asn1OctetString keyId)
            {
                return Convert.ToHexString(keyId.GetOctets());
            }
        }
        catch (Exception e) when (CertificatePathValidator.IsBadInput(e))
        {
            // Fall through to the key hash.
        }

        return KeyHash(issuer);
    }

    /// <summary>SHA-256 of the issuer's subjectPublicKey bits: identifies the CA key whatever its name.</summary>
    public static string KeyHash(X509Certificate issuer) =>
        Convert.ToHexString(SHA256.HashData(issuer.SubjectPublicKeyInfo.PublicKey.GetBytes()));
}
