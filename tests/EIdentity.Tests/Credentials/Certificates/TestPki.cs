using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Tests.Credentials.Certificates;

/// <summary>A certificate and the key it certifies (ECDSA P-256).</summary>
internal sealed class TestKey(X509Certificate2 certificate, ECDsa key) : IDisposable
{
    public X509Certificate2 Certificate { get; } = certificate;

    public ECDsa Key { get; } = key;

    public void Dispose()
    {
        Certificate.Dispose();
        Key.Dispose();
    }
}

/// <summary>
/// Builds test PKIs with .NET's <see cref="CertificateRequest"/> and
/// <see cref="CertificateRevocationListBuilder"/>, including the broken certificates and CRLs a
/// validator must refuse (wrong signer, wrong issuer name, missing extensions, stale CRLs).
/// </summary>
internal static class TestPki
{
    /// <summary>The time the tests validate at.</summary>
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public const X509KeyUsageFlags CaUsage = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign;
    public const X509KeyUsageFlags SigningUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation;

    public static TestKey Root(string name = "CN=EIdentity Test Root CA, O=EIdentity Tests, C=VN", DateTimeOffset? notAfter = null) =>
        Ca(name, issuer: null, notAfter: notAfter);

    public static TestKey Ca(
        string name,
        TestKey? issuer,
        int? pathLength = null,
        bool basicConstraints = true,
        X509KeyUsageFlags? usage = CaUsage,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null,
        string? ocspUrl = null,
        string? crlUrl = null) =>
        Issue(name, issuer, request =>
        {
            AddRevocationUrls(request, ocspUrl, crlUrl);
            if (basicConstraints)
            {
                request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, pathLength is not null, pathLength ?? 0, true));
            }

            if (usage is { } flags)
            {
                request.CertificateExtensions.Add(new X509KeyUsageExtension(flags, true));
            }
        }, notBefore, notAfter);

    public static TestKey Leaf(
        TestKey issuer,
        string name = "CN=Nguyen Van An, SERIALNUMBER=CCCD:001099012345, C=VN",
        X509KeyUsageFlags? usage = SigningUsage,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null,
        Action<CertificateRequest>? configure = null,
        string? issuerName = null,
        ECDsa? signedBy = null,
        string? ocspUrl = null,
        string? crlUrl = null) =>
        Issue(name, issuer, request =>
        {
            AddRevocationUrls(request, ocspUrl, crlUrl);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            if (usage is { } flags)
            {
                request.CertificateExtensions.Add(new X509KeyUsageExtension(flags, true));
            }

            configure?.Invoke(request);
        }, notBefore, notAfter, issuerName, signedBy);

    /// <summary>A CRL from <paramref name="issuer"/> listing <paramref name="revoked"/> (revoked on 2026-03-01, keyCompromise unless said).</summary>
    public static byte[] Crl(
        TestKey issuer,
        IEnumerable<TestKey>? revoked = null,
        DateTimeOffset? thisUpdate = null,
        DateTimeOffset? nextUpdate = null,
        X509RevocationReason reason = X509RevocationReason.KeyCompromise,
        ECDsa? signedBy = null)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var certificate in revoked ?? [])
        {
            builder.AddEntry(certificate.Certificate, new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero), reason);
        }

        return builder.Build(
            issuer.Certificate.SubjectName,
            X509SignatureGenerator.CreateForECDsa(signedBy ?? issuer.Key),
            BigInteger.One,
            nextUpdate ?? Now.AddDays(7),
            HashAlgorithmName.SHA256,
            X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false),
            thisUpdate ?? Now.AddDays(-1));
    }

    /// <summary>
    /// A delegated OCSP responder certificate issued by <paramref name="issuer"/> (RFC 6960 4.2.2.2),
    /// with the id-kp-OCSPSigning extended key usage unless <paramref name="ocspSigning"/> is false.
    /// </summary>
    public static TestKey OcspResponder(TestKey issuer, bool ocspSigning = true) =>
        Leaf(issuer, "CN=EIdentity Test OCSP Responder, O=EIdentity Tests, C=VN", X509KeyUsageFlags.DigitalSignature, configure: request =>
        {
            if (ocspSigning)
            {
                request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.9")], false));
            }
        });

    /// <summary>The certificate as BouncyCastle reads it.</summary>
    public static Org.BouncyCastle.X509.X509Certificate Bc(X509Certificate2 certificate) => new(certificate.RawData);

    /// <summary>The private key as BouncyCastle signs with it.</summary>
    public static Org.BouncyCastle.Crypto.AsymmetricKeyParameter BcKey(AsymmetricAlgorithm key) =>
        Org.BouncyCastle.Security.PrivateKeyFactory.CreateKey(key.ExportPkcs8PrivateKey());

    // RFC 5280 4.2.2.1 (id-ad-ocsp) and 4.2.1.13.
    private static void AddRevocationUrls(CertificateRequest request, string? ocspUrl, string? crlUrl)
    {
        if (ocspUrl is not null)
        {
            request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension([ocspUrl], null));
        }

        if (crlUrl is not null)
        {
            request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crlUrl]));
        }
    }

    /// <param name="issuer">null for a self-signed certificate.</param>
    /// <param name="issuerName">An issuer name other than the issuer's subject (a broken name chain).</param>
    /// <param name="signedBy">A key other than the issuer's (a broken signature).</param>
    private static TestKey Issue(
        string name,
        TestKey? issuer,
        Action<CertificateRequest> extensions,
        DateTimeOffset? notBefore,
        DateTimeOffset? notAfter,
        string? issuerName = null,
        ECDsa? signedBy = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        extensions(request);
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(
            issuerName is null ? issuer?.Certificate.SubjectName ?? request.SubjectName : new X500DistinguishedName(issuerName),
            X509SignatureGenerator.CreateForECDsa(signedBy ?? issuer?.Key ?? key),
            notBefore ?? Now.AddYears(-1),
            notAfter ?? Now.AddYears(5),
            serial);
        return new TestKey(X509CertificateLoader.LoadCertificate(certificate.RawData), key);
    }
}
