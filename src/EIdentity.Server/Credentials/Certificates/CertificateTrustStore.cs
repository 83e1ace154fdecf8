using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace EIdentity.Server.Credentials.Certificates;

/// <summary>
/// The configured trust anchors, the intermediate CAs allowed under each, and the revocation
/// policy of every CA, loaded once from the files named under <c>Certificates:TrustAnchors</c>.
/// A file that cannot be read stops the server at start with the file's name.
/// </summary>
internal sealed class CertificateTrustStore
{
    private readonly List<(X509Certificate2 Certificate, RevocationPolicyOptions Policy)> _cas = [];
    private readonly RevocationPolicyOptions _default;

    public CertificateTrustStore(IOptions<CertificateOptions> options, IHostEnvironment environment)
    {
        var settings = options.Value;
        _default = settings.DefaultRevocation;
        var anchors = new List<X509Certificate2>();
        var intermediates = new List<X509Certificate2>();
        foreach (var anchor in settings.TrustAnchors)
        {
            var root = Load(anchor.Path, environment.ContentRootPath, $"Certificates:TrustAnchors '{anchor.Name}'");
            anchors.Add(root);
            _cas.Add((root, anchor.Revocation ?? _default));
            foreach (var intermediate in anchor.Intermediates)
            {
                var ca = Load(intermediate.Path, environment.ContentRootPath, $"Certificates:TrustAnchors '{anchor.Name}' intermediate");
                intermediates.Add(ca);
                _cas.Add((ca, intermediate.Revocation ?? _default));
            }
        }

        TrustAnchors = anchors;
        Intermediates = intermediates;
    }

    public IReadOnlyList<X509Certificate2> TrustAnchors { get; }

    public IReadOnlyList<X509Certificate2> Intermediates { get; }

    /// <summary>The policy for certificates issued by <paramref name="issuer"/> (matched by name and key).</summary>
    public RevocationPolicyOptions PolicyFor(BcCertificate issuer)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var raw = issuer.GetEncoded();
        foreach (var (certificate, policy) in _cas)
        {
            if (certificate.RawData.AsSpan().SequenceEqual(raw))
            {
                return policy;
            }
        }

        return _default;
    }

    public static string ResolvePath(string path, string contentRoot) => Path.GetFullPath(path, contentRoot);

    private static X509Certificate2 Load(string path, string contentRoot, string what)
    {
        var full = ResolvePath(path, contentRoot);
        try
        {
            var bytes = File.ReadAllBytes(full);
            var text = System.Text.Encoding.ASCII.GetString(bytes);
            return text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(text)
                : X509CertificateLoader.LoadCertificate(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new InvalidOperationException($"{what}: cannot read the certificate file '{full}': {e.Message}", e);
        }
    }
}
