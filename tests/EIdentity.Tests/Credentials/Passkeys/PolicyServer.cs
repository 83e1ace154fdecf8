using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EIdentity.Server.Audit;
using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Credentials.Passkeys.Metadata;
using EIdentity.Server.Persistence;
using EIdentity.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EIdentity.Tests.Credentials.Passkeys;

/// <summary>
/// One in-process server whose authenticator metadata the tests control: an allow-list file and an
/// MDS3 BLOB signed by a test "FIDO Alliance" root, both rewritten by tests and reloaded at once.
/// Tests of a class run one after another, so each may replace the metadata wholesale.
/// </summary>
public class PolicyServer : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "eidentity-policy-tests", Guid.NewGuid().ToString("N"));
    private long _blobNumber = 1;

    public PolicyServer()
        : this(null)
    {
    }

    protected PolicyServer(Dictionary<string, string?>? settings)
    {
        Directory.CreateDirectory(_directory);
        MetadataRoot = TestCertificateAuthority.CreateRoot("CN=Test FIDO Metadata Root, O=EIdentity Tests");
        AttestationRoot = TestCertificateAuthority.CreateRoot("CN=Test Authenticator Vendor Root, O=EIdentity Tests");
        var rootPath = Path.Combine(_directory, "mds-root.pem");
        File.WriteAllText(rootPath, MetadataRoot.Certificate.ExportCertificatePem());
        AllowListPath = Path.Combine(_directory, "allow-list.json");
        BlobPath = Path.Combine(_directory, "mds.jwt");
        File.WriteAllText(AllowListPath, """{ "authenticators": [] }""");
        WriteBlob([]);
        var overrides = new Dictionary<string, string?>(settings ?? [])
        {
            ["Passkeys:Metadata:AllowListPath"] = AllowListPath,
            ["Passkeys:Metadata:BlobPath"] = BlobPath,
            ["Passkeys:Metadata:BlobRootCertificatePath"] = rootPath,
            ["Passkeys:Metadata:BlobSignerName"] = "mds.test",
        };
        Server = new EIdentityServerFactory(overrides: overrides);
    }

    public EIdentityServerFactory Server { get; }

    /// <summary>The root a test "FIDO Metadata Service" signs BLOBs under.</summary>
    public TestCertificateAuthority MetadataRoot { get; }

    /// <summary>A vendor's attestation root: keys attested under it chain to an allowed model.</summary>
    public TestCertificateAuthority AttestationRoot { get; }

    public string AllowListPath { get; }

    public string BlobPath { get; }

    /// <summary>Replaces the allow-list with these models and reloads the metadata.</summary>
    public void AllowModels(params AllowedModel[] models)
    {
        var json = JsonSerializer.Serialize(new
        {
            authenticators = models.Select(m => new
            {
                aaguid = m.Aaguid.ToString(),
                description = m.Description,
                attestationRootCertificates = m.Roots.Select(r => Convert.ToBase64String(r.RawData)).ToArray(),
                hardware = m.Hardware,
            }),
        });
        File.WriteAllText(AllowListPath, json);
        Reload();
    }

    /// <summary>Publishes a new MDS3 BLOB (a higher serial number each time) and reloads the metadata.</summary>
    public void PublishBlob(params Mds3Entry[] entries)
    {
        WriteBlob(entries);
        Reload();
    }

    /// <summary>Publishes a BLOB whose nextUpdate has passed: the operator did not fetch a fresh one.</summary>
    public void PublishStaleBlob(params Mds3Entry[] entries)
    {
        WriteBlob(entries, DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-3)));
        Reload();
    }

    internal async Task<PasskeyCredential> CredentialAsync(string credentialId)
    {
        await using var scope = Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        return await db.PasskeyCredentials.AsNoTracking().SingleAsync(c => c.CredentialId == credentialId);
    }

    internal async Task<IReadOnlyList<AuditEvent>> AuditOfAsync(Guid personId)
    {
        await using var scope = Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        return await db.AuditEvents.AsNoTracking().Where(e => e.PersonId == personId).OrderBy(e => e.Sequence).ToListAsync();
    }

    internal async Task<ModelReviewResult> ReviewAsync()
    {
        await using var scope = Server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PasskeyModelReview>().ReviewAsync();
    }

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        await Server.DisposeAsync();
        MetadataRoot.Dispose();
        AttestationRoot.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Temp files are reclaimed anyway.
        }
    }

    private void WriteBlob(IEnumerable<Mds3Entry> entries, DateOnly? nextUpdate = null)
    {
        var builder = Mds3BlobBuilder.SignedBy(MetadataRoot);
        builder.Number = _blobNumber++;
        if (nextUpdate is { } date)
        {
            builder.NextUpdate = date;
        }

        foreach (var entry in entries)
        {
            builder.Add(entry);
        }

        builder.WriteTo(BlobPath);
    }

    private void Reload() => Server.Services.GetRequiredService<IAuthenticatorCatalog>().Reload();
}

/// <summary>A server whose policy lets only keys of known models register.</summary>
public sealed class StrictPolicyServer() : PolicyServer(new() { ["Passkeys:Policy:RequireKnownAuthenticator"] = "true" });

public sealed record AllowedModel(Guid Aaguid, string Description, IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> Roots, bool Hardware = true);

/// <summary>Ceremonies with a chosen key, for citizens holding more than one.</summary>
internal static class KeyCeremonies
{
    /// <summary>Adds <paramref name="key"/> as a spare key from the citizen's signed-in browser.</summary>
    public static async Task<HttpResponseMessage> AddSpareKeyAsync(Citizen citizen, SoftwareAuthenticator key)
    {
        var options = await citizen.Browser.PostAsJsonAsync("/api/passkeys/registration/options", new { });
        await Expect.Status(System.Net.HttpStatusCode.OK, options);
        var started = await options.Content.ReadFromJsonAsync<JsonElement>();
        var credential = key.Register(started.GetProperty("options").GetRawText());
        var body = JsonSerializer.Serialize(new
        {
            ceremonyId = started.GetProperty("ceremonyId").GetString(),
            credential = JsonDocument.Parse(credential).RootElement,
        });
        return await citizen.Browser.PostAsync("/api/passkeys/registration", new StringContent(body, Encoding.UTF8, "application/json"));
    }

    /// <summary>Signs the citizen's browser in with <paramref name="key"/> (username-less).</summary>
    public static async Task<HttpResponseMessage> SignInWithAsync(Citizen citizen, SoftwareAuthenticator key)
    {
        var (ceremonyId, options) = await citizen.BeginSignInAsync();
        return await citizen.FinishSignInAsync(ceremonyId, key.Assert(options));
    }

    /// <summary>The ProblemDetails of a refused ceremony: the citizen's message and the policy's reason.</summary>
    public static async Task<(string Detail, string? Reason)> ProblemAsync(HttpResponseMessage response)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (problem.GetProperty("detail").GetString()!,
            problem.TryGetProperty("reason", out var reason) ? reason.GetString() : null);
    }
}
