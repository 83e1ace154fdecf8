using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace EIdentity.Server.Oidc;

/// <summary>
/// A portal's self-signed TLS client certificate for <c>self_signed_tls_client_auth</c> (RFC 8705 2.2).
/// It is kept as one more key of the portal's key set, carrying the certificate in <c>x5c</c>
/// (RFC 8705 2.2.2): the key set is where OpenIddict looks for the certificates it compares the
/// TLS client certificate with (<see cref="PortalApplicationManager"/>).
/// </summary>
internal static class PortalCertificate
{
    /// <summary>RFC 5280 4.2.1.12 id-kp-clientAuth.</summary>
    public const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    private const string CertificateLabel = "CERTIFICATE";

    /// <summary>What is wrong with a PEM certificate a portal gave, or null when it can be registered.</summary>
    /// <param name="now">The time its validity period is checked at; null checks everything else only.</param>
    public static string? Check(string pem, DateTimeOffset? now)
    {
        var (certificates, privateKey) = ReadPem(pem);
        // A portal's private key never leaves the portal: a file holding one is refused, not trimmed.
        if (privateKey)
        {
            return "the PEM holds a private key: register the certificate only (-----BEGIN CERTIFICATE-----)";
        }

        if (certificates.Count != 1)
        {
            return certificates.Count == 0
                ? "no PEM certificate found (-----BEGIN CERTIFICATE-----)"
                : "give the portal's own certificate only, not a chain";
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(certificates[0]);
        }
        catch (CryptographicException)
        {
            return "the PEM block is not a valid X.509 certificate";
        }

        using (certificate)
        {
            if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(e => e.CertificateAuthority))
            {
                return "this is a CA certificate: register the portal's own self-signed client certificate";
            }

            // RFC 8705 2.2: the client holds a self-signed certificate; PKI-issued ones are tls_client_auth, not offered here.
            if (!IsSelfIssued(certificate))
            {
                return "the certificate is not self-signed (its issuer is not its subject)";
            }

            if (now is { } expiredAt && certificate.NotAfter.ToUniversalTime() < expiredAt.UtcDateTime)
            {
                return $"the certificate expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}: make a new one";
            }

            if (now is { } notYetAt && certificate.NotBefore.ToUniversalTime() > notYetAt.UtcDateTime)
            {
                return $"the certificate is not valid before {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} UTC";
            }

            if (!IsForClientAuthentication(certificate))
            {
                return $"the certificate needs key usage digitalSignature and extended key usage clientAuth ({ClientAuthentication})";
            }

            if (KeyProblem(certificate) is { } keyProblem)
            {
                return keyProblem;
            }

            if (!VerifiesItself(certificate, now))
            {
                return "the certificate's self-signature does not verify";
            }
        }

        return null;
    }

    /// <summary>The certificate (checked by <see cref="Check"/>) as a public JSON Web Key with its <c>x5c</c>.</summary>
    public static JsonObject ToJsonWebKey(string pem)
    {
        var (certificates, _) = ReadPem(pem);
        using var certificate = X509CertificateLoader.LoadCertificate(certificates.Single());
        var key = new JsonObject();
        if (certificate.GetRSAPublicKey() is { } rsa)
        {
            using (rsa)
            {
                var parameters = rsa.ExportParameters(includePrivateParameters: false);
                key["kty"] = JsonWebAlgorithmsKeyTypes.RSA;
                key["n"] = Base64UrlEncoder.Encode(parameters.Modulus);
                key["e"] = Base64UrlEncoder.Encode(parameters.Exponent);
            }
        }
        else
        {
            using var ecdsa = certificate.GetECDsaPublicKey()!;
            var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
            key["kty"] = JsonWebAlgorithmsKeyTypes.EllipticCurve;
            key["crv"] = CurveName(ecdsa.KeySize);
            key["x"] = Base64UrlEncoder.Encode(parameters.Q.X);
            key["y"] = Base64UrlEncoder.Encode(parameters.Q.Y);
        }

        var thumbprint = Base64UrlEncoder.Encode(SHA256.HashData(certificate.RawData));
        key["use"] = JsonWebKeyUseNames.Sig;
        key["kid"] = thumbprint;
        key["x5t#S256"] = thumbprint;
        key["x5c"] = new JsonArray(Convert.ToBase64String(certificate.RawData));
        return key;
    }

    public static bool IsSelfIssued(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    /// <summary>What OpenIddict asks of a client authentication certificate: v3, digitalSignature, clientAuth.</summary>
    public static bool IsForClientAuthentication(X509Certificate2 certificate) =>
        certificate.Version >= 3
        && certificate.Extensions.OfType<X509KeyUsageExtension>().Any(e => e.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature))
        && certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Any(e => e.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == ClientAuthentication));

    private static (List<byte[]> Certificates, bool PrivateKey) ReadPem(string pem)
    {
        var certificates = new List<byte[]>();
        // Refused even where the PEM around it is malformed: a key must never be stored by mistake.
        var privateKey = pem.Contains("PRIVATE KEY", StringComparison.Ordinal);
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label];
            if (label.Contains("PRIVATE KEY", StringComparison.Ordinal))
            {
                privateKey = true;
            }
            else if (label.SequenceEqual(CertificateLabel))
            {
                var data = new byte[fields.DecodedDataLength];
                if (Convert.TryFromBase64Chars(rest[fields.Base64Data], data, out var written))
                {
                    certificates.Add(data[..written]);
                }
            }

            rest = rest[fields.Location.End..];
        }

        return (certificates, privateKey);
    }

    private static string? KeyProblem(X509Certificate2 certificate)
    {
        using var rsa = certificate.GetRSAPublicKey();
        if (rsa is not null)
        {
            return rsa.KeySize < 2048 ? "an RSA certificate key needs 2048 bits or more" : null;
        }

        using var ecdsa = certificate.GetECDsaPublicKey();
        return ecdsa is not null && CurveName(ecdsa.KeySize) is not null ? null : "the certificate key must be RSA (2048 bits or more) or EC P-256, P-384 or P-521";
    }

    private static string? CurveName(int keySize) => keySize switch
    {
        256 => JsonWebKeyECTypes.P256,
        384 => JsonWebKeyECTypes.P384,
        521 => JsonWebKeyECTypes.P521,
        _ => null,
    };

    // The same chain OpenIddict builds at the token endpoint: the certificate as its own trust anchor.
    private static bool VerifiesItself(X509Certificate2 certificate, DateTimeOffset? now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthentication));
        chain.ChainPolicy.VerificationTime = now?.UtcDateTime ?? certificate.NotBefore;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        try
        {
            return chain.Build(certificate) && chain.ChainElements.Count == 1;
        }
        catch (CryptographicException)
        {
            return false;
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                if (!ReferenceEquals(element.Certificate, certificate))
                {
                    element.Certificate.Dispose();
                }
            }
        }
    }
}
