using System.Formats.Asn1;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Credentials.Certificates.Revocation;
using EIdentity.Server.Identities;
using EIdentity.Tests.Credentials.Certificates.Revocation;
using EIdentity.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Utilities.Collections;

namespace EIdentity.Tests.Credentials.Certificates.SignIn;

/// <summary>
/// A licensed-CA PKI of the test's own (root → licensed CA → leaves), with revocation by CRL only.
/// </summary>
/// <remarks>
/// Revocation choice: the CA certificates name CRL distribution points on a host that does not
/// exist (http://crl.eid-tests.invalid/...), and the server's CRL HTTP client is given a
/// <see cref="FakeNetwork"/> handler (through the factory's <c>services</c> hook) that answers
/// them with CRLs built at request time around the real clock. No socket, no port race, no
/// dependency on the committed development PKI (whose URLs point at localhost:5000), and the same
/// handler serves the server whether it runs on TestServer or on real Kestrel. The CRL fetcher
/// caches a CRL until its nextUpdate, so a certificate that must be revoked is revoked from the
/// start (before the first fetch).
/// </remarks>
internal sealed class CertificateTestPki : IDisposable
{
    public const string HardwarePolicy = "1.3.6.1.4.1.55555.1.2.3";
    private const string RootCrlUrl = "http://crl.eid-tests.invalid/root.crl";
    private const string CaCrlUrl = "http://crl.eid-tests.invalid/licensed-ca.crl";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "eidentity-cert-signin", Guid.NewGuid().ToString("N"));
    private readonly List<TestKey> _revoked = [];
    private readonly List<TestKey> _issued = [];

    public CertificateTestPki()
    {
        Root = TestPki.Root("CN=EIdentity SignIn Test Root, O=EIdentity Tests, C=VN", notAfter: DateTimeOffset.UtcNow.AddYears(10));
        Ca = TestPki.Ca("CN=EIdentity SignIn Licensed CA, O=EIdentity Tests, C=VN", Root, pathLength: 0,
            notBefore: DateTimeOffset.UtcNow.AddYears(-1), notAfter: DateTimeOffset.UtcNow.AddYears(8), crlUrl: RootCrlUrl);
        Directory.CreateDirectory(_directory);
        RootPath = Path.Combine(_directory, "root.pem");
        CaPath = Path.Combine(_directory, "licensed-ca.pem");
        File.WriteAllText(RootPath, Root.Certificate.ExportCertificatePem());
        File.WriteAllText(CaPath, Ca.Certificate.ExportCertificatePem());
        Network.Crl(RootCrlUrl, () => Crl(Root, []));
        Network.Crl(CaCrlUrl, () =>
        {
            lock (_revoked)
            {
                return Crl(Ca, [.. _revoked]);
            }
        });

        // Revoked before any server can have fetched (and cached) the licensed CA's CRL.
        RevokedNationalId = EIdentity.Tests.SignIn.SignInSteps.NewNationalId();
        Revoked = Leaf(Name("Nguyễn Văn Bị Thu Hồi", "CCCD:" + RevokedNationalId), hardware: false, revoked: true);
    }

    /// <summary>A person's certificate the licensed CA's CRL lists from the start.</summary>
    public TestKey Revoked { get; }

    public string RevokedNationalId { get; }

    public TestKey Root { get; }

    public TestKey Ca { get; }

    public string RootPath { get; }

    public string CaPath { get; }

    public FakeNetwork Network { get; } = new();

    /// <summary>The server's certificate settings for this PKI.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Certificates:TrustAnchors:0:Name"] = "EIdentity SignIn Test Root",
        ["Certificates:TrustAnchors:0:Path"] = RootPath,
        ["Certificates:TrustAnchors:0:Intermediates:0:Path"] = CaPath,
        ["Certificates:HardwareTokenPolicies:0"] = HardwarePolicy,
        ["Certificates:DefaultRevocation:Order"] = "CrlOnly",
        ["Certificates:DefaultRevocation:FailureMode"] = "FailClosed",
    };

    /// <summary>Routes the server's CRL downloads to <see cref="Network"/>.</summary>
    public void Services(IServiceCollection services) =>
        services.AddHttpClient(nameof(CrlDistributionPointFetcher)).ConfigurePrimaryHttpMessageHandler(() => new NonDisposing(Network));

    /// <summary>A person's certificate: UID=CCCD:&lt;12 digits&gt;.</summary>
    public TestKey Person(string nationalId, string name = "Nguyễn Văn An", bool hardware = false) =>
        Leaf(Name(name, "CCCD:" + nationalId), hardware, revoked: false);

    /// <summary>An employee's certificate: UID=MST:&lt;tax code&gt; and UID=CCCD:&lt;12 digits&gt;.</summary>
    public TestKey Employee(string nationalId, string taxCode) =>
        Leaf(Name("Nguyễn Văn An", "CCCD:" + nationalId, "MST:" + taxCode), hardware: false, revoked: false);

    /// <summary>An organization's seal: UID=MST:&lt;tax code&gt; only.</summary>
    public TestKey Seal(string taxCode) =>
        Leaf(Name("Công ty TNHH Kiểm thử", "MST:" + taxCode), hardware: false, revoked: false);

    public void Dispose()
    {
        lock (_issued)
        {
            foreach (var key in _issued)
            {
                key.Dispose();
            }
        }

        Root.Dispose();
        Ca.Dispose();
        Network.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private TestKey Leaf(X500DistinguishedName subject, bool hardware, bool revoked)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([CaCrlUrl]));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(TestPki.SigningUsage, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca.Certificate, true, false));
        if (hardware)
        {
            request.CertificateExtensions.Add(new X509Extension("2.5.29.32", Policies(HardwarePolicy), false));
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        using var issued = request.Create(Ca.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(Ca.Key),
            DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddYears(2), serial);
        var leaf = new TestKey(X509CertificateLoader.LoadCertificate(issued.RawData), key);
        lock (_issued)
        {
            _issued.Add(leaf);
        }

        if (revoked)
        {
            lock (_revoked)
            {
                _revoked.Add(leaf);
            }
        }

        return leaf;
    }

    // UID attributes by OID as UTF8String, as licensed Vietnamese CAs write them (and DevelopmentPki does).
    private static X500DistinguishedName Name(string commonName, params string[] userIds)
    {
        var name = new X500DistinguishedNameBuilder();
        foreach (var userId in userIds.Reverse())
        {
            name.Add(CertificateIdentifiers.UserIdOid, userId, UniversalTagNumber.UTF8String);
        }

        name.AddCommonName(commonName);
        name.AddCountryOrRegion("VN");
        return name.Build();
    }

    private static byte[] Policies(string oid)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(oid);
            }
        }

        return writer.Encode();
    }

    private static byte[] Crl(TestKey issuer, IEnumerable<TestKey> revoked) =>
        TestPki.Crl(issuer, revoked, thisUpdate: DateTimeOffset.UtcNow.AddHours(-1), nextUpdate: DateTimeOffset.UtcNow.AddDays(7));

    /// <summary>HttpClientFactory disposes handlers it rotates; the shared fake network must survive that.</summary>
    private sealed class NonDisposing(HttpMessageHandler inner) : HttpMessageHandler
    {
        private readonly HttpMessageInvoker _inner = new(inner, disposeHandler: false);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            _inner.SendAsync(request, cancellationToken);
    }
}

/// <summary>The signing plugin's and the sign-in page's side of the signed-challenge API.</summary>
internal static class SignedChallengeClient
{
    public sealed record Challenge(string ChallengeId, string Origin, string Nonce, string ToBeSigned);

    public static async Task<Challenge> IssueAsync(HttpClient browser, string? returnUrl = null)
    {
        var response = await browser.PostAsJsonAsync("/api/certificates/challenge", new { returnUrl });
        await Expect.Status(HttpStatusCode.OK, response);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return new Challenge(
            json.GetProperty("challengeId").GetString()!,
            json.GetProperty("origin").GetString()!,
            json.GetProperty("nonce").GetString()!,
            json.GetProperty("toBeSigned").GetString()!);
    }

    /// <summary>A CMS SignedData, detached, over the UTF-8 text, by the leaf's key, carrying the leaf's certificate.</summary>
    public static byte[] Sign(TestKey signer, string text)
    {
        var certificate = TestPki.Bc(signer.Certificate);
        var generator = new CmsSignedDataGenerator();
        generator.AddSigner(TestPki.BcKey(signer.Key), certificate, CmsSignedGenerator.DigestSha256);
        generator.AddCertificates(CollectionUtilities.CreateStore(new List<Org.BouncyCastle.X509.X509Certificate> { certificate }));
        return generator.Generate(new CmsProcessableByteArray(Encoding.UTF8.GetBytes(text)), encapsulate: false).GetEncoded();
    }

    public static async Task<HttpResponseMessage> RespondAsync(HttpClient browser, string challengeId, byte[] signature, TestKey? certificate = null, string? returnUrl = null, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/certificates/challenge/response")
        {
            Content = JsonContent.Create(new
            {
                challengeId,
                signature = Convert.ToBase64String(signature),
                certificate = certificate is null ? null : Convert.ToBase64String(certificate.Certificate.RawData),
                returnUrl,
            }),
        };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return await browser.SendAsync(request);
    }

    /// <summary>The whole round trip as the page and plugin make it (the browser sends its own Origin).</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, TestKey signer, string? returnUrl = null)
    {
        var challenge = await IssueAsync(browser, returnUrl);
        return await RespondAsync(browser, challenge.ChallengeId, Sign(signer, challenge.ToBeSigned), signer, returnUrl, EIdentityServerFactory.Origin);
    }

    public sealed record ProblemAnswer(HttpStatusCode Status, string? Refusal, string? Reason, string? Detail, string Body);

    public static async Task<ProblemAnswer> ReadRefusalAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        string? Get(JsonElement json, string name) => json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (!body.TrimStart().StartsWith('{'))
        {
            return new(response.StatusCode, null, null, null, body);
        }

        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        return new(response.StatusCode, Get(root, "refusal"), Get(root, "reason"), Get(root, "detail"), body);
    }

    public static async Task CreateOrganizationAsync(this EIdentityServerFactory server, string taxCode, string name = "Công ty TNHH Kiểm thử")
    {
        await using var scope = server.Services.CreateAsyncScope();
        var (organization, error) = await scope.ServiceProvider.GetRequiredService<IdentityRegistry>().CreateOrganizationAsync(TaxCode.Parse(taxCode), name);
        Assert.True(organization is not null, error);
    }

    /// <summary>A 10-digit tax code no other test on this server uses.</summary>
    public static string NewTaxCode() =>
        "0" + Random.Shared.NextInt64(100_000_000, 1_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>How officers write a serial: lowercase hex without leading zeros.</summary>
    public static string Serial(X509Certificate2 certificate) =>
        certificate.SerialNumber.ToLowerInvariant().TrimStart('0');
}
