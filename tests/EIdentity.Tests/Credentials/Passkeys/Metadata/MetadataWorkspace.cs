using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using EIdentity.Server.Credentials.Passkeys.Metadata;
using EIdentity.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EIdentity.Tests.Credentials.Passkeys.Metadata;

/// <summary>
/// A temporary folder with an allow-list and a BLOB, the test PKI that signs the BLOB (root →
/// intermediate → signer), and a clock the test moves.
/// </summary>
internal sealed class MetadataWorkspace : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private int _writes;

    public MetadataWorkspace()
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(BlobRootPath, BlobRoot.Certificate.ExportCertificatePem());
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "eidentity-tests", "metadata-" + Guid.NewGuid().ToString("N"));

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public TestCertificateAuthority BlobRoot { get; } = TestCertificateAuthority.CreateRoot("CN=Test MDS Root");

    public string AllowListPath => Path.Combine(Folder, "authenticators", "allow-list.json");

    public string BlobPath => Path.Combine(Folder, "mds", "blob.jwt");

    public string BlobRootPath => Path.Combine(Folder, "mds-root.pem");

    public string? BlobSignerName { get; set; }

    public TimeSpan ReloadCheckInterval { get; } = TimeSpan.FromSeconds(30);

    /// <summary>A BLOB builder whose signer chains to <see cref="BlobRoot"/> through an intermediate (carried in x5c).</summary>
    public Mds3BlobBuilder NewBlob(long number = 1)
    {
        var intermediate = BlobRoot.CreateIntermediate("CN=Test MDS Intermediate");
        _owned.Add(intermediate);
        return Mds3BlobBuilder.SignedBy(intermediate, "mds.test", intermediate.Certificate).WithNumber(number);
    }

    public void WriteBlob(string jws)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(BlobPath)!);
        File.WriteAllText(BlobPath, jws);
        Touch(BlobPath);
    }

    /// <summary>Writes the allow-list file from entries (anonymous objects in the documented format).</summary>
    public void WriteAllowList(params object[] authenticators) =>
        WriteAllowListText(JsonSerializer.Serialize(new { authenticators }));

    public void WriteAllowListText(string json)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(AllowListPath)!);
        File.WriteAllText(AllowListPath, json);
        Touch(AllowListPath);
    }

    /// <summary>Writes a PEM file next to the allow-list and returns its path relative to the allow-list's folder.</summary>
    public string WriteAllowListRoot(string relativePath, X509Certificate2 certificate)
    {
        var path = Path.Combine(Path.GetDirectoryName(AllowListPath)!, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return relativePath;
    }

    public AuthenticatorCatalog CreateCatalog(bool withBlob = true) =>
        new(Microsoft.Extensions.Options.Options.Create(new PasskeyMetadataOptions
        {
            AllowListPath = AllowListPath,
            BlobPath = withBlob ? BlobPath : null,
            BlobRootCertificatePath = withBlob ? BlobRootPath : null,
            BlobSignerName = BlobSignerName,
            ReloadCheckInterval = ReloadCheckInterval,
        }), Time, NullLogger<AuthenticatorCatalog>.Instance);

    public void Dispose()
    {
        _owned.ForEach(o => o.Dispose());
        BlobRoot.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    // Two writes within one file-system timestamp tick would look alike: each write moves the time on.
    private void Touch(string path) => File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(++_writes));
}

internal static class Mds3BlobBuilderExtensions
{
    public static Mds3BlobBuilder WithNumber(this Mds3BlobBuilder builder, long number)
    {
        builder.Number = number;
        return builder;
    }
}
