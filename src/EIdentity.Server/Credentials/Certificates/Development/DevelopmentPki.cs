using System.Formats.Asn1;
using System.Globalization;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EIdentity.Server.Credentials.Certificates.Development;

/// <summary>One generated file: its name in the output folder and its content.</summary>
internal sealed record DevelopmentPkiFile(string Name, byte[] Content);

/// <summary>A certificate a development CA has revoked.</summary>
/// <param name="CaName">The file name (without extension) of the CA that revoked it, e.g. <c>dev-licensed-ca-1</c>.</param>
/// <param name="SerialNumber">The certificate's serial number (non-negative).</param>
/// <param name="RevokedAt">The revocation time (RFC 5280 5.3.2 revocationDate).</param>
/// <param name="Reason">The RFC 5280 5.3.1 reason code.</param>
/// <param name="Certificate">The file name (without extension) of the revoked certificate, for people reading the list.</param>
internal sealed record DevelopmentRevocation(string CaName, BigInteger SerialNumber, DateTimeOffset RevokedAt, X509RevocationReason Reason, string? Certificate);

/// <summary>
/// Generates the development PKI kept in <c>certs/dev-pki/</c>: a national root, two licensed CAs
/// under it and the end-entity certificates a developer signs in with (good ones and ones that must
/// be refused), shaped like Vietnam's hierarchy (root CA of the Ministry of Information and
/// Communications over licensed public CAs, identifiers in UID attributes).
/// </summary>
/// <remarks>Every file name contains "dev". Nothing here is for production.</remarks>
internal static class DevelopmentPki
{
    public const string RootCa = "dev-national-root-ca";
    public const string LicensedCa1 = "dev-licensed-ca-1";
    public const string LicensedCa2 = "dev-licensed-ca-2";
    public const string UnknownRootCa = "dev-unknown-root-ca";
    public const string TlsRootCa = "dev-tls-root-ca";

    public const string DemoPerson = "dev-person-nguyen-van-an";
    public const string PersonWithCmnd = "dev-person-tran-thi-binh";
    public const string OrganizationSeal = "dev-org-cong-ty-demo";
    public const string Employee = "dev-employee-cong-ty-demo";
    public const string Revoked = "dev-revoked";
    public const string Expired = "dev-expired";
    public const string WrongKeyUsage = "dev-wrong-key-usage";
    public const string UnknownCa = "dev-unknown-ca";
    public const string MutualTlsServer = "dev-mtls-server";

    /// <summary>
    /// The development "hardware token" certificate policy: a certificate carrying it signs in at the
    /// high level once <c>Certificates:HardwareTokenPolicies</c> lists it. 2.999 is the X.660 arc for
    /// examples, so this OID can never collide with a real CA's policy.
    /// </summary>
    public const string HardwareTokenPolicyOid = "2.999.84.1.1";

    /// <summary>The password of every PKCS#12 file.</summary>
    public const string Password = "dev-only";

    public const string RevocationListFile = "revoked-serials.dev.json";
    public const string ReadmeFile = "README.dev.md";

    public static readonly Uri DefaultBaseUrl = new("http://localhost:5000");

    /// <summary>The CAs whose CRLs and OCSP responses the development server publishes under <c>/dev-pki</c>.</summary>
    public static readonly IReadOnlyList<string> PublishingCas = [RootCa, LicensedCa1, LicensedCa2];

    /// <summary>How long the committed CRLs are fresh; the development server signs fresh ones.</summary>
    public static readonly TimeSpan CommittedCrlLifetime = TimeSpan.FromDays(30);

    // The deliberately expired certificate's validity (a fixed past year reads plainly in refusals).
    private static readonly DateTimeOffset ExpiredNotBefore = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset ExpiredNotAfter = new(2024, 12, 31, 23, 59, 59, TimeSpan.Zero);

    private const string DevelopmentOrganization = "EIdentity Development (not for production)";
    private const string DemoCompany = "Công ty TNHH Demo (dev)";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string AnyPolicy = "2.5.29.32.0";
    private const string CertificatePoliciesOid = "2.5.29.32";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string CertificateFile(string name) => $"{name}.pem";

    public static string KeyFile(string name) => $"{name}.key.dev-only.pem";

    public static string Pkcs12File(string name) => name == MutualTlsServer ? $"{name}.p12" : $"{name}.dev.p12";

    public static string CrlFile(string caName) => $"{caName}.crl";

    public static Uri CrlUrl(Uri baseUrl, string caName) => new($"{Base(baseUrl)}/dev-pki/crl/{caName}.crl");

    public static Uri OcspUrl(Uri baseUrl, string caName) => new($"{Base(baseUrl)}/dev-pki/ocsp/{caName}");

    /// <summary>Generates every file of the development PKI, in memory.</summary>
    /// <param name="baseUrl">Where the development server publishes CRLs and OCSP (AIA and CRL DP point there).</param>
    /// <param name="now">The generation time: validity starts a day earlier and lasts ten years.</param>
    public static IReadOnlyList<DevelopmentPkiFile> Generate(Uri baseUrl, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        now = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var notBefore = now.AddDays(-1);
        var notAfter = now.AddYears(10);

        // The CAs predate the expired certificate, as a real CA that issued it would.
        var caNotBefore = notBefore < ExpiredNotBefore ? notBefore : ExpiredNotBefore;

        var files = new List<DevelopmentPkiFile>();
        var issued = new List<Issued>();
        try
        {
            Issued Add(Issued certificate)
            {
                issued.Add(certificate);
                return certificate;
            }

            var root = Add(IssueCa(RootCa, Name("EIdentity Dev National Root CA"), issuer: null, pathLength: 1, baseUrl, caNotBefore, notAfter));
            var ca1 = Add(IssueCa(LicensedCa1, Name("Dev Licensed CA 1"), root, pathLength: 0, baseUrl, caNotBefore, notAfter));
            var ca2 = Add(IssueCa(LicensedCa2, Name("Dev Licensed CA 2"), root, pathLength: 0, baseUrl, caNotBefore, notAfter));
            var unknownRoot = Add(IssueCa(UnknownRootCa, Name("EIdentity Dev Unknown Root CA (not trusted)"), issuer: null, pathLength: 0, baseUrl, caNotBefore, notAfter));
            var tlsRoot = Add(IssueCa(TlsRootCa, Name("EIdentity Dev TLS Root CA"), issuer: null, pathLength: 0, baseUrl, caNotBefore, notAfter));

            var person = Add(IssueLeaf(DemoPerson, PersonName("Nguyễn Văn An", "CCCD:001099012345"), ca1, baseUrl, notBefore, notAfter, hardwareToken: true));
            Add(IssueLeaf(PersonWithCmnd, PersonName("Trần Thị Bình", "CMND:079201000123"), ca2, baseUrl, notBefore, notAfter));
            Add(IssueLeaf(OrganizationSeal, OrganizationName(), ca2, baseUrl, notBefore, notAfter));
            Add(IssueLeaf(Employee, EmployeeName(), ca1, baseUrl, notBefore, notAfter));
            var revoked = Add(IssueLeaf(Revoked, PersonName("Lê Văn Cường", "CCCD:001099099999"), ca1, baseUrl, notBefore, notAfter));

            // These three name the demo person, so that sign-in finds the identity and refuses only the certificate.
            Add(IssueLeaf(Expired, PersonName("Nguyễn Văn An", "CCCD:001099012345"), ca2, baseUrl, ExpiredNotBefore, ExpiredNotAfter));
            Add(IssueLeaf(WrongKeyUsage, PersonName("Nguyễn Văn An", "CCCD:001099012345"), ca1, baseUrl, notBefore, notAfter, X509KeyUsageFlags.KeyEncipherment));
            Add(IssueLeaf(UnknownCa, PersonName("Nguyễn Văn An", "CCCD:001099012345"), unknownRoot, baseUrl, notBefore, notAfter));
            Add(IssueTlsServer(tlsRoot, notBefore, notAfter));

            foreach (var certificate in issued)
            {
                files.Add(Text(CertificateFile(certificate.Name), certificate.Certificate.ExportCertificatePem()));
                files.Add(Text(KeyFile(certificate.Name), certificate.Key.ExportPkcs8PrivateKeyPem()));
                if (!certificate.IsCa)
                {
                    files.Add(new DevelopmentPkiFile(Pkcs12File(certificate.Name), Pkcs12(certificate)));
                }
            }

            var revocations = new List<DevelopmentRevocation>
            {
                new(LicensedCa1, SerialNumber(revoked.Certificate), now.AddHours(-1), X509RevocationReason.KeyCompromise, Revoked),
            };
            foreach (var ca in new[] { root, ca1, ca2 })
            {
                files.Add(new DevelopmentPkiFile(
                    CrlFile(ca.Name),
                    BuildCrl(ca.Certificate, revocations.Where(r => r.CaName == ca.Name), now, CommittedCrlLifetime)));
            }

            files.Add(new DevelopmentPkiFile(RevocationListFile, WriteRevocations(revocations)));
            files.Add(Text(ReadmeFile, Readme(baseUrl, now, person)));
            return files;
        }
        finally
        {
            foreach (var certificate in issued)
            {
                certificate.Dispose();
            }
        }
    }

    /// <summary>Signs a CRL (RFC 5280 5.1) listing <paramref name="revocations"/>, numbered by its time.</summary>
    /// <param name="ca">The CA certificate, with its private key.</param>
    public static byte[] BuildCrl(X509Certificate2 ca, IEnumerable<DevelopmentRevocation> revocations, DateTimeOffset thisUpdate, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(revocations);
        var builder = new CertificateRevocationListBuilder();
        foreach (var revocation in revocations)
        {
            builder.AddEntry(revocation.SerialNumber.ToByteArray(isUnsigned: true, isBigEndian: true), revocation.RevokedAt, revocation.Reason);
        }

        // RFC 5280 5.2.3: CRL numbers increase; seconds since the epoch do, and need no stored counter.
        // RFC 5280 5.2.1: the authority key identifier is taken from the CA's subject key identifier.
        return builder.Build(ca, new BigInteger(thisUpdate.ToUnixTimeSeconds()), thisUpdate + lifetime, HashAlgorithmName.SHA256, rsaSignaturePadding: null, thisUpdate);
    }

    public static BigInteger SerialNumber(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return new BigInteger(certificate.SerialNumberBytes.Span, isUnsigned: true, isBigEndian: true);
    }

    private static string Base(Uri baseUrl) => baseUrl.AbsoluteUri.TrimEnd('/');

    private static X500DistinguishedName Name(string commonName)
    {
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(commonName);
        name.AddOrganizationName(DevelopmentOrganization);
        name.AddCountryOrRegion("VN");
        return name.Build();
    }

    // X500DistinguishedNameBuilder encodes the attributes in reverse of the order they are added, so
    // names are added as RFC 4514 reads them (most specific first) and encoded C=VN first, as X.501 orders
    // them. UID is written by OID (RFC 4519 2.39) as UTF8String, as Vietnamese licensed CAs do.
    private static X500DistinguishedName PersonName(string fullName, string userId)
    {
        var name = new X500DistinguishedNameBuilder();
        name.Add(CertificateIdentifiers.UserIdOid, userId, UniversalTagNumber.UTF8String);
        name.AddCommonName(fullName);
        name.AddCountryOrRegion("VN");
        return name.Build();
    }

    private static X500DistinguishedName OrganizationName()
    {
        var name = new X500DistinguishedNameBuilder();
        name.Add(CertificateIdentifiers.UserIdOid, "MST:0101234567", UniversalTagNumber.UTF8String);
        name.AddCommonName(DemoCompany);
        name.Add(CertificateIdentifiers.OrganizationIdentifierOid, "VATVN-0101234567", UniversalTagNumber.UTF8String);
        name.AddOrganizationName(DemoCompany);
        name.AddCountryOrRegion("VN");
        return name.Build();
    }

    // Encoded ..., CN, UID=MST:..., UID=CCCD:...: the organization's tax code first, the person's number second.
    private static X500DistinguishedName EmployeeName()
    {
        var name = new X500DistinguishedNameBuilder();
        name.Add(CertificateIdentifiers.UserIdOid, "CCCD:001099012345", UniversalTagNumber.UTF8String);
        name.Add(CertificateIdentifiers.UserIdOid, "MST:0101234567", UniversalTagNumber.UTF8String);
        name.AddCommonName("Nguyễn Văn An");
        name.AddOrganizationName(DemoCompany);
        name.AddCountryOrRegion("VN");
        return name.Build();
    }

    private static Issued IssueCa(string fileName, X500DistinguishedName subject, Issued? issuer, int pathLength, Uri baseUrl, DateTimeOffset notBefore, DateTimeOffset notAfter) =>
        Issue(fileName, subject, issuer, notBefore, notAfter, request =>
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, pathLength, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            if (issuer is not null)
            {
                // A licensed CA accepts any policy its root allows; its end entities name the precise one.
                request.CertificateExtensions.Add(Policies(AnyPolicy));
                request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension([OcspUrl(baseUrl, issuer.Name).AbsoluteUri], null));
                request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([CrlUrl(baseUrl, issuer.Name).AbsoluteUri]));
            }
        });

    private static Issued IssueLeaf(
        string fileName,
        X500DistinguishedName subject,
        Issued issuer,
        Uri baseUrl,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter,
        X509KeyUsageFlags usage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation,
        bool hardwareToken = false) =>
        Issue(fileName, subject, issuer, notBefore, notAfter, request =>
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuthentication)], false));
            if (hardwareToken)
            {
                request.CertificateExtensions.Add(Policies(HardwareTokenPolicyOid));
            }

            request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension([OcspUrl(baseUrl, issuer.Name).AbsoluteUri], null));
            request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([CrlUrl(baseUrl, issuer.Name).AbsoluteUri]));
        });

    private static Issued IssueTlsServer(Issued tlsRoot, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName("localhost");
        subject.AddOrganizationName(DevelopmentOrganization);
        subject.AddCountryOrRegion("VN");
        return Issue(MutualTlsServer, subject.Build(), tlsRoot, notBefore, notAfter, request =>
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthentication)], false));
            request.CertificateExtensions.Add(names.Build());
        });
    }

    private static Issued Issue(string fileName, X500DistinguishedName subject, Issued? issuer, DateTimeOffset notBefore, DateTimeOffset notAfter, Action<CertificateRequest> extensions)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            extensions(request);
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            if (issuer is not null)
            {
                request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
            }

            // RFC 5280 4.1.2.2: a positive serial of at most 20 octets; 16 random ones, high bit clear
            // and not a redundant leading zero so that the DER INTEGER is minimal.
            var serial = RandomNumberGenerator.GetBytes(16);
            serial[0] = (byte)((serial[0] & 0x7F) | 0x40);

            // The generator overload does not insist that the validity nest inside the issuer's, which
            // the deliberately expired certificate needs.
            using var certificate = request.Create(
                issuer?.Certificate.SubjectName ?? subject,
                X509SignatureGenerator.CreateForECDsa(issuer?.Key ?? key),
                notBefore,
                notAfter,
                serial);
            var isCa = request.CertificateExtensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority;
            return new Issued(fileName, certificate.CopyWithPrivateKey(key), key, issuer, isCa);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static X509Extension Policies(string policy)
    {
        // RFC 5280 4.2.1.4: certificatePolicies ::= SEQUENCE OF PolicyInformation { policyIdentifier }.
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(policy);
            }
        }

        return new X509Extension(CertificatePoliciesOid, writer.Encode(), critical: false);
    }

    /// <summary>The key, the certificate and its chain up to its root (certificates without keys).</summary>
    private static byte[] Pkcs12(Issued certificate)
    {
        var chain = new X509Certificate2Collection { certificate.Certificate };
        for (var issuer = certificate.Issuer; issuer is not null; issuer = issuer.Issuer)
        {
            chain.Add(X509CertificateLoader.LoadCertificate(issuer.Certificate.RawData));
        }

        try
        {
            // PBES2 with AES-256-CBC and HMAC-SHA-256: what OpenSSL 3, curl and browsers read without
            // the legacy provider (RC2 and 3DES PKCS#12 files need it).
            return chain.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password);
        }
        finally
        {
            foreach (var issuer in chain.Skip(1))
            {
                issuer.Dispose();
            }
        }
    }

    private static byte[] WriteRevocations(IEnumerable<DevelopmentRevocation> revocations)
    {
        var document = new RevocationDocument(
            "Development only. Which certificates each development CA has revoked; the CRLs and OCSP responses of the development server list these. Serial numbers are hexadecimal.",
            [.. revocations.Select(r => new RevocationEntry(
                r.CaName,
                r.Certificate,
                Convert.ToHexString(r.SerialNumber.ToByteArray(isUnsigned: true, isBigEndian: true)),
                r.RevokedAt,
                ReasonName(r.Reason)))]);
        return JsonSerializer.SerializeToUtf8Bytes(document, Json);
    }

    internal static IReadOnlyList<DevelopmentRevocation> ReadRevocations(ReadOnlySpan<byte> json, string source)
    {
        RevocationDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<RevocationDocument>(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not a revocation list: {e.Message}", e);
        }

        var revocations = new List<DevelopmentRevocation>();
        foreach (var entry in document?.Revoked ?? [])
        {
            if (string.IsNullOrEmpty(entry.Ca) || string.IsNullOrEmpty(entry.SerialNumber))
            {
                throw new InvalidDataException($"{source}: every entry needs \"ca\" and \"serialNumber\".");
            }

            byte[] serial;
            try
            {
                serial = Convert.FromHexString(entry.SerialNumber);
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{source}: the serial number \"{entry.SerialNumber}\" is not hexadecimal.", e);
            }

            var reason = X509RevocationReason.Unspecified;
            if (entry.Reason is { } name && !Enum.TryParse(name, ignoreCase: true, out reason))
            {
                throw new InvalidDataException($"{source}: \"{name}\" is not an RFC 5280 revocation reason.");
            }

            revocations.Add(new DevelopmentRevocation(entry.Ca, new BigInteger(serial, isUnsigned: true, isBigEndian: true), entry.RevokedAt, reason, entry.Certificate));
        }

        return revocations;
    }

    // RFC 5280 5.3.1 spells the names in lower camel case (keyCompromise, cACompromise).
    private static string ReasonName(X509RevocationReason reason) => reason switch
    {
        X509RevocationReason.CACompromise => "cACompromise",
        X509RevocationReason.AACompromise => "aACompromise",
        _ => string.Create(CultureInfo.InvariantCulture, $"{char.ToLowerInvariant(reason.ToString()[0])}{reason.ToString()[1..]}"),
    };

    private static DevelopmentPkiFile Text(string name, string text) =>
        new(name, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text.ReplaceLineEndings("\n").TrimEnd('\n') + "\n"));

    private static string Readme(Uri baseUrl, DateTimeOffset now, Issued person) => $$"""
        # certs/dev-pki/ — the development PKI (not for production)

        Generated on {{now.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}} UTC by

        ```sh
        dotnet run --project src/EIdentity.Server -- certs dev-pki --force
        ```

        (options: `--out <dir>`, default `certs/dev-pki` of the repository; `--base-url <url>`, default
        `http://localhost:5000`; `--force` to overwrite existing files). This run used the base URL
        `{{Base(baseUrl)}}`. Regenerating replaces every key, certificate and serial number: passkeys are
        not affected, but anyone who imported a `.p12` into a browser must import the new one.

        Every private key here is public, in a public repository. Nothing in this folder may be
        trusted outside a developer's machine; every file name says "dev" so that it cannot be
        mistaken for real material.

        ## The hierarchy

        It mirrors Vietnam's: a national root CA over licensed CAs, each issuing certificates whose
        subject carries the holder's identifiers in UID attributes (OID 0.9.2342.19200300.100.1.1):
        `CCCD:` + 12 digits, `CMND:` + 9 or 12 digits, `MST:` + a tax code; organizations also carry
        organizationIdentifier (OID 2.5.4.97). Keys are ECDSA P-256, signatures ECDSA with SHA-256.
        CA and current end-entity certificates are valid for ten years from generation.

        ```
        dev-national-root-ca                 CN=EIdentity Dev National Root CA (self-signed, pathLen 1)
        ├── dev-licensed-ca-1                CN=Dev Licensed CA 1 (pathLen 0)
        │   ├── dev-person-nguyen-van-an     Nguyễn Văn An, CCCD:001099012345, hardware-token policy
        │   ├── dev-employee-cong-ty-demo    Nguyễn Văn An for Công ty TNHH Demo (dev), MST:0101234567 + CCCD:001099012345
        │   ├── dev-revoked                  Lê Văn Cường, CCCD:001099099999 — revoked (keyCompromise)
        │   └── dev-wrong-key-usage          Nguyễn Văn An, CCCD:001099012345 — keyEncipherment only
        └── dev-licensed-ca-2                CN=Dev Licensed CA 2 (pathLen 0)
            ├── dev-person-tran-thi-binh     Trần Thị Bình, CMND:079201000123 (12-digit CMND)
            ├── dev-org-cong-ty-demo         Công ty TNHH Demo (dev) seal, MST:0101234567, VATVN-0101234567
            └── dev-expired                  Nguyễn Văn An, CCCD:001099012345 — expired on 2024-12-31

        dev-unknown-root-ca                  self-signed, NOT in the trust configuration
        └── dev-unknown-ca                   Nguyễn Văn An, CCCD:001099012345 — issuer not trusted

        dev-tls-root-ca                      self-signed, only for the TLS listener
        └── dev-mtls-server                  localhost + 127.0.0.1, serverAuth
        ```

        `dev-person-nguyen-van-an` is the demo person seeded in Development (`Demo:NationalId`). The
        refused certificates other than `dev-revoked` name the same person, so that sign-in finds the
        identity and refuses only the certificate.

        End-entity certificates have keyUsage digitalSignature + nonRepudiation (critical), extended
        key usage clientAuth (1.3.6.1.5.5.7.3.2), an AIA OCSP URL
        `{{Base(baseUrl)}}/dev-pki/ocsp/<issuer>` and a CRL distribution point
        `{{Base(baseUrl)}}/dev-pki/crl/<issuer>.crl`. The licensed CAs point at the root's URLs the
        same way and carry the anyPolicy certificate policy.

        ## The hardware-token policy OID: 2.999.84.1.1

        `dev-person-nguyen-van-an` carries the certificate policy **2.999.84.1.1**, standing for
        "key held in a hardware token". Listed in `Certificates:HardwareTokenPolicies`, it makes that
        certificate sign in at the high level (amr `hwk`). 2.999 is the ITU-T/ISO arc reserved for
        examples, so the OID cannot collide with a real CA's policy; never list it in production.

        ## Files

        | File | What |
        | --- | --- |
        | `<name>.pem` | The certificate (PEM), for every name above. |
        | `<name>.key.dev-only.pem` | Its private key, unencrypted PKCS#8 PEM. The CA keys let the development server sign fresh CRLs and OCSP responses. |
        | `<name>.dev.p12` | End entities: key, certificate and chain up to its root, PKCS#12 (PBES2 AES-256-CBC, HMAC-SHA-256), password `dev-only`. Import into a browser, or give to curl. |
        | `dev-mtls-server.p12` | The TLS server certificate of the mutual-TLS sign-in listener `https://localhost:5443`, with its key and `dev-tls-root-ca`, password `dev-only` (`Certificates:MutualTls:CertificatePath`). |
        | `dev-national-root-ca.crl`, `dev-licensed-ca-1.crl`, `dev-licensed-ca-2.crl` | DER CRLs signed at generation, fresh for 30 days. `dev-licensed-ca-1.crl` lists `dev-revoked`. The development server serves freshly signed ones at `/dev-pki/crl/<ca>.crl`. |
        | `revoked-serials.dev.json` | Which serial of which CA is revoked, when and why; the development server's CRLs and OCSP responses are made from it. Edit it to revoke another certificate (serials in hexadecimal, reasons as in RFC 5280 5.3.1, e.g. `keyCompromise`). |
        | `README.dev.md` | This file. |

        The demo person's certificate has serial number `{{person.Certificate.SerialNumber}}`.

        ## Trust configuration (Development)

        ```json
        "Certificates": {
          "TrustAnchors": [
            {
              "Name": "Dev national root CA",
              "Path": "../../certs/dev-pki/dev-national-root-ca.pem",
              "Intermediates": [
                { "Path": "../../certs/dev-pki/dev-licensed-ca-1.pem" },
                { "Path": "../../certs/dev-pki/dev-licensed-ca-2.pem" }
              ]
            }
          ],
          "HardwareTokenPolicies": [ "2.999.84.1.1" ],
          "RequiredExtendedKeyUsage": "1.3.6.1.5.5.7.3.2",
          "ServeDevelopmentPki": true,
          "MutualTls": {
            "Url": "https://localhost:5443",
            "CertificatePath": "../../certs/dev-pki/dev-mtls-server.p12",
            "CertificatePassword": "dev-only"
          }
        }
        ```

        `dev-unknown-root-ca` and `dev-tls-root-ca` are deliberately not trust anchors.

        ## Trying it

        Check a certificate the way sign-in judges it (offline, with the committed CRLs while they are fresh):

        ```sh
        dotnet run --project src/EIdentity.Server -- certificate verify certs/dev-pki/dev-person-nguyen-van-an.pem \
          --trust-anchor certs/dev-pki/dev-national-root-ca.pem \
          --intermediate certs/dev-pki/dev-licensed-ca-1.pem --intermediate certs/dev-pki/dev-licensed-ca-2.pem \
          --crl certs/dev-pki/dev-national-root-ca.crl --crl certs/dev-pki/dev-licensed-ca-1.crl --crl certs/dev-pki/dev-licensed-ca-2.crl
        ```

        Sign in over mutual TLS with curl (`--cacert` trusts the listener's development TLS root):

        ```sh
        curl --cacert certs/dev-pki/dev-tls-root-ca.pem \
          --cert-type P12 --cert certs/dev-pki/dev-person-nguyen-van-an.dev.p12:dev-only \
          https://localhost:5443/...
        curl --cacert certs/dev-pki/dev-tls-root-ca.pem \
          --cert-type P12 --cert certs/dev-pki/dev-revoked.dev.p12:dev-only \
          https://localhost:5443/...          # refused: revoked
        ```

        Or with PEM files: `--cert certs/dev-pki/dev-person-nguyen-van-an.pem --key certs/dev-pki/dev-person-nguyen-van-an.key.dev-only.pem`.
        In a browser, import `dev-person-nguyen-van-an.dev.p12` (password `dev-only`) into the
        personal certificate store, and `dev-tls-root-ca.pem` as a trusted authority for websites if
        the browser should not warn about `https://localhost:5443`.

        Inspect a file: `openssl x509 -in certs/dev-pki/dev-person-nguyen-van-an.pem -noout -text`,
        `openssl crl -inform DER -in certs/dev-pki/dev-licensed-ca-1.crl -noout -text`,
        `openssl pkcs12 -in certs/dev-pki/dev-person-nguyen-van-an.dev.p12 -passin pass:dev-only -info -nokeys`.
        """;

    private sealed record RevocationDocument(
        [property: JsonPropertyName("$comment")] string? Comment,
        IReadOnlyList<RevocationEntry>? Revoked);

    private sealed record RevocationEntry(string Ca, string? Certificate, string SerialNumber, DateTimeOffset RevokedAt, string? Reason);

    private sealed class Issued(string name, X509Certificate2 certificate, ECDsa key, Issued? issuer, bool isCa) : IDisposable
    {
        public string Name { get; } = name;

        public X509Certificate2 Certificate { get; } = certificate;

        public ECDsa Key { get; } = key;

        public Issued? Issuer { get; } = issuer;

        public bool IsCa { get; } = isCa;

        public void Dispose()
        {
            Certificate.Dispose();
            Key.Dispose();
        }
    }
}
