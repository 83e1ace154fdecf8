using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Tests.Infrastructure;

/// <summary>
/// A certificate authority made in the test process (ECDSA P-256 keys, SHA-256 signatures): roots,
/// intermediates and leaf certificates with whatever extensions a test needs.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly ECDsa _key;
    private long _serial = 1;

    private TestCertificateAuthority(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        _key = key;
    }

    /// <summary>The CA certificate (with its private key).</summary>
    public X509Certificate2 Certificate { get; }

    public static TestCertificateAuthority CreateRoot(string subject, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        AddCaExtensions(request, key);
        var certificate = request.CreateSelfSigned(notBefore ?? DateTimeOffset.UtcNow.AddYears(-1), notAfter ?? DateTimeOffset.UtcNow.AddYears(20));
        return new TestCertificateAuthority(certificate, key);
    }

    public TestCertificateAuthority CreateIntermediate(string subject, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        AddCaExtensions(request, key);
        using var issued = Sign(request, notBefore, notAfter);
        return new TestCertificateAuthority(issued.CopyWithPrivateKey(key), key);
    }

    /// <summary>Issues a certificate for the request's public key; the caller adds the extensions it needs.</summary>
    public X509Certificate2 Issue(CertificateRequest request, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Sign(request, notBefore, notAfter);
    }

    /// <summary>Issues an end-entity ECDSA P-256 certificate and returns it with its private key.</summary>
    public X509Certificate2 IssueLeaf(string subject, Action<CertificateRequest>? configure = null, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        configure?.Invoke(request);
        using var issued = Sign(request, notBefore, notAfter);
        return issued.CopyWithPrivateKey(key);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }

    private X509Certificate2 Sign(CertificateRequest request, DateTimeOffset? notBefore, DateTimeOffset? notAfter)
    {
        var from = notBefore ?? DateTimeOffset.UtcNow.AddDays(-1);
        var to = notAfter ?? DateTimeOffset.UtcNow.AddYears(5);
        if (to > Certificate.NotAfter)
        {
            to = Certificate.NotAfter;
        }

        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _serial));
        Array.Reverse(serial);
        return request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), from, to, serial);
    }

    private static void AddCaExtensions(CertificateRequest request, ECDsa key)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(new PublicKey(key), false));
    }
}
