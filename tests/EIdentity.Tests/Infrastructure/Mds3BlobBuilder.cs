using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace EIdentity.Tests.Infrastructure;

/// <summary>A status report of an MDS3 entry (FIDO MDS 3.0 StatusReport).</summary>
public sealed record Mds3StatusReport(string Status, DateOnly? EffectiveDate = null);

/// <summary>One MDS3 entry: a FIDO2 model (AAGUID) or a FIDO U2F model (key identifiers).</summary>
public sealed record Mds3Entry
{
    public Guid? Aaguid { get; init; }

    /// <summary>Lower-case hex SHA-1 subject key identifiers of U2F attestation certificates.</summary>
    public IReadOnlyList<string> AttestationCertificateKeyIdentifiers { get; init; } = [];

    public string Description { get; init; } = "Test authenticator";

    public IReadOnlyList<X509Certificate2> AttestationRootCertificates { get; init; } = [];

    /// <summary>FIDO Registry key protection names: hardware, secure_element, tee, software, remote_handle.</summary>
    public IReadOnlyList<string> KeyProtection { get; init; } = ["hardware", "secure_element"];

    public IReadOnlyList<Mds3StatusReport> StatusReports { get; init; } = [new("FIDO_CERTIFIED_L1", new DateOnly(2024, 1, 1))];
}

/// <summary>
/// Writes a FIDO MDS3 BLOB as the FIDO Alliance publishes it: a JWS (compact serialization) whose
/// header carries <c>alg</c> ES256 and the signing chain in <c>x5c</c>, signed by a test certificate.
/// </summary>
public sealed class Mds3BlobBuilder
{
    private readonly X509Certificate2 _signer;
    private readonly IReadOnlyList<X509Certificate2> _chain;
    private readonly List<Mds3Entry> _entries = [];

    /// <param name="signer">The signing certificate, with its ECDSA P-256 private key.</param>
    /// <param name="chain">Certificates placed after the signer in x5c (intermediates, optionally the root).</param>
    public Mds3BlobBuilder(X509Certificate2 signer, params X509Certificate2[] chain)
    {
        _signer = signer;
        _chain = chain;
    }

    /// <summary>The payload's serial number (<c>no</c>).</summary>
    public long Number { get; set; } = 1;

    /// <summary>The payload's <c>nextUpdate</c>.</summary>
    public DateOnly NextUpdate { get; set; } = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(30));

    /// <summary>A signing certificate for <c>mds.test</c> issued by <paramref name="issuer"/>, as the builder's signer.</summary>
    public static Mds3BlobBuilder SignedBy(TestCertificateAuthority issuer, string dnsName = "mds.test", params X509Certificate2[] chain)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var signer = issuer.IssueLeaf($"CN={dnsName}", request =>
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(dnsName);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        });
        return new Mds3BlobBuilder(signer, chain);
    }

    public Mds3BlobBuilder Add(Mds3Entry entry)
    {
        _entries.Add(entry);
        return this;
    }

    /// <summary>The BLOB as a JWS compact serialization (RFC 7515 7.1).</summary>
    public string Build()
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["alg"] = "ES256",
            ["typ"] = "JWT",
            // RFC 7515 4.1.6: base64 (not base64url) DER, signer first.
            ["x5c"] = new[] { _signer }.Concat(_chain).Select(c => Convert.ToBase64String(c.RawData)).ToArray(),
        });
        var signingInput = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(Payload());
        using var key = _signer.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The signer needs an ECDSA private key.");
        // RFC 7518 3.4: ES256 signatures are R || S (IEEE P1363), not the DER that ECDsa produces by default.
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>Writes the BLOB to <paramref name="path"/> and returns the path.</summary>
    public string WriteTo(string path)
    {
        File.WriteAllText(path, Build());
        return path;
    }

    private byte[] Payload()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("legalHeader", "Test BLOB: not issued by the FIDO Alliance.");
            json.WriteNumber("no", Number);
            json.WriteString("nextUpdate", NextUpdate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteStartArray("entries");
            foreach (var entry in _entries)
            {
                WriteEntry(json, entry);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static void WriteEntry(Utf8JsonWriter json, Mds3Entry entry)
    {
        json.WriteStartObject();
        if (entry.Aaguid is { } aaguid)
        {
            json.WriteString("aaguid", aaguid.ToString("D"));
        }

        if (entry.AttestationCertificateKeyIdentifiers.Count > 0)
        {
            WriteStrings(json, "attestationCertificateKeyIdentifiers", entry.AttestationCertificateKeyIdentifiers);
        }

        json.WriteStartObject("metadataStatement");
        json.WriteString("legalHeader", "Test statement.");
        if (entry.Aaguid is { } statementAaguid)
        {
            json.WriteString("aaguid", statementAaguid.ToString("D"));
        }

        json.WriteString("description", entry.Description);
        json.WriteNumber("schema", 3);
        json.WriteString("protocolFamily", entry.Aaguid is null ? "u2f" : "fido2");
        WriteStrings(json, "keyProtection", entry.KeyProtection);
        WriteStrings(json, "attestationTypes", ["basic_full"]);
        WriteStrings(json, "attestationRootCertificates", [.. entry.AttestationRootCertificates.Select(c => Convert.ToBase64String(c.RawData))]);
        json.WriteEndObject();

        json.WriteStartArray("statusReports");
        foreach (var report in entry.StatusReports)
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status);
            if (report.EffectiveDate is { } date)
            {
                json.WriteString("effectiveDate", date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("timeOfLastStatusChange", "2024-01-01");
        json.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
