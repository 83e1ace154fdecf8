using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Tokens;

namespace EIdentity.Tests.Oidc;

/// <summary>A portal's TLS client certificate, as a portal team would make one (P-256, clientAuth).</summary>
internal sealed class TestClientCertificate : IDisposable
{
    private TestClientCertificate(X509Certificate2 withKey) => WithKey = withKey;

    /// <summary>The certificate with its private key, for the portal's side of the TLS handshake.</summary>
    public X509Certificate2 WithKey { get; }

    /// <summary>What the portal registers: the certificate only.</summary>
    public string Pem => WithKey.ExportCertificatePem();

    /// <summary>RFC 8705 3.1: base64url SHA-256 of the DER certificate.</summary>
    public string Thumbprint => Base64UrlEncoder.Encode(SHA256.HashData(WithKey.RawData));

    public static TestClientCertificate SelfSigned(string name = "portal", DateTimeOffset? notAfter = null, bool clientAuth = true, bool ca = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=EIdentity tests", key, HashAlgorithmName.SHA256);
        Describe(request, clientAuth, ca);
        var expires = notAfter ?? DateTimeOffset.UtcNow.AddDays(30);
        using var certificate = request.CreateSelfSigned(expires.AddDays(-60), expires);
        return new(Reload(certificate));
    }

    /// <summary>A certificate a CA issued (not self-signed), with its key.</summary>
    public static TestClientCertificate IssuedBy(TestClientCertificate ca, string name = "portal")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=EIdentity tests", key, HashAlgorithmName.SHA256);
        Describe(request, clientAuth: true, ca: false);
        using var issued = request.Create(ca.WithKey, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10), RandomNumberGenerator.GetBytes(8));
        using var withKey = issued.CopyWithPrivateKey(key);
        return new(Reload(withKey));
    }

    public void Dispose() => WithKey.Dispose();

    private static void Describe(CertificateRequest request, bool clientAuth, bool ca)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            ca ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature : X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(clientAuth ? "1.3.6.1.5.5.7.3.2" : "1.3.6.1.5.5.7.3.1")], false));
    }

    // SslStream on Linux wants a certificate whose key came from a PKCS#12 import, not an ephemeral one.
    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
}
