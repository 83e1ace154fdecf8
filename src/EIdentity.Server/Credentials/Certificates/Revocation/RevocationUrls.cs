using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;

namespace EIdentity.Server.Credentials.Certificates.Revocation;

/// <summary>
/// Where a certificate says its revocation status can be asked. Only <c>http</c> URLs are used:
/// OCSP responses and CRLs are signed, so TLS adds nothing but a second certificate to check (whose
/// revocation check could loop back here), and LDAP is not supported (RFC 5280 4.2.1.13 and
/// RFC 6960 Appendix A expect http).
/// </summary>
internal static class RevocationUrls
{
    /// <summary>The first http OCSP responder in the authority information access extension (RFC 5280 4.2.2.1, id-ad-ocsp).</summary>
    public static Uri? Ocsp(X509Certificate certificate)
    {
        try
        {
            if (certificate.GetExtensionValue(X509Extensions.AuthorityInfoAccess) is not { } value)
            {
                return null;
            }

            return AuthorityInformationAccess.GetInstance(X509ExtensionUtilities.FromExtensionValue(value))
                .GetAccessDescriptions()
                .Where(d => d.AccessMethod.Equals(AccessDescription.IdADOcsp))
                .Select(d => Http(d.AccessLocation))
                .FirstOrDefault(u => u is not null);
        }
        catch (Exception e) when (CertificatePathValidator.IsBadInput(e))
        {
            return null;
        }
    }

    /// <summary>
    /// The http URLs of the CRL distribution points (RFC 5280 4.2.1.13) that cover all reasons and
    /// whose CRL the certificate's issuer signs itself: indirect and partitioned CRLs are not supported.
    /// </summary>
    public static IReadOnlyList<Uri> Crls(X509Certificate certificate)
    {
        try
        {
            if (certificate.GetExtensionValue(X509Extensions.CrlDistributionPoints) is not { } value)
            {
                return [];
            }

            return CrlDistPoint.GetInstance(X509ExtensionUtilities.FromExtensionValue(value))
                .GetDistributionPoints()
                .Where(p => p.CrlIssuer is null && p.Reasons is null && p.DistributionPointName is { Type: DistributionPointName.FullName })
                .SelectMany(p => GeneralNames.GetInstance(p.DistributionPointName.Name).GetNames())
                .Select(Http)
                .OfType<Uri>()
                .Distinct()
                .ToList();
        }
        catch (Exception e) when (CertificatePathValidator.IsBadInput(e))
        {
            return [];
        }
    }

    private static Uri? Http(GeneralName name) =>
        name.TagNo == GeneralName.UniformResourceIdentifier
            && Uri.TryCreate(DerIA5String.GetInstance(name.Name).GetString(), UriKind.Absolute, out var uri)
            && uri.Scheme == Uri.UriSchemeHttp
            ? uri
            : null;
}
