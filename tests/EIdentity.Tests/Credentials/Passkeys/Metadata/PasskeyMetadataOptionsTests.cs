using EIdentity.Server.Credentials.Passkeys.Metadata;
using EIdentity.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EIdentity.Tests.Credentials.Passkeys.Metadata;

public sealed class PasskeyMetadataOptionsTests : IDisposable
{
    private readonly MetadataWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Blob_without_a_root_certificate_fails_at_boot_naming_the_setting()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => BootAsync(new()
        {
            ["Passkeys:Metadata:BlobPath"] = "mds/blob.jwt",
        }));

        Assert.Contains("Passkeys:Metadata:BlobRootCertificatePath is required when Passkeys:Metadata:BlobPath is set", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreadable_blob_root_certificate_fails_at_boot()
    {
        File.WriteAllText(Path.Combine(_workspace.Folder, "not-a-cert.pem"), "hello");

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => BootAsync(new()
        {
            ["Passkeys:Metadata:BlobPath"] = "mds/blob.jwt",
            ["Passkeys:Metadata:BlobRootCertificatePath"] = "not-a-cert.pem",
        }));

        Assert.Contains("Passkeys:Metadata:BlobRootCertificatePath", failure.Message, StringComparison.Ordinal);
        Assert.Contains("holds no PEM or DER certificate", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blob_without_a_signer_name_stops_the_server_with_a_message_naming_the_setting()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => BootAsync(new()
        {
            ["Passkeys:Metadata:BlobPath"] = "mds/blob.jwt",
            ["Passkeys:Metadata:BlobRootCertificatePath"] = "mds-root.pem",
        }));

        Assert.Contains("Passkeys:Metadata:BlobSignerName is required", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relative_paths_resolve_against_the_content_root()
    {
        var aaguid = Guid.NewGuid();
        _workspace.WriteAllowList();
        _workspace.WriteBlob(_workspace.NewBlob().Add(new Mds3Entry { Aaguid = aaguid, Description = "Found through relative paths" }).Build());

        await using var app = await BootAsync(new()
        {
            ["Passkeys:Metadata:AllowListPath"] = Path.GetRelativePath(_workspace.Folder, _workspace.AllowListPath),
            ["Passkeys:Metadata:BlobPath"] = "mds/blob.jwt",
            ["Passkeys:Metadata:BlobRootCertificatePath"] = "mds-root.pem",
            ["Passkeys:Metadata:BlobSignerName"] = "mds.test",
        });

        var snapshot = app.Services.GetRequiredService<IAuthenticatorCatalog>().Current;
        Assert.Empty(snapshot.Problems);
        Assert.Equal("Found through relative paths", snapshot.Find(aaguid, null)?.Description);
    }

    [Fact]
    public async Task Missing_allow_list_does_not_stop_the_server()
    {
        await using var app = await BootAsync(new() { ["Passkeys:Metadata:AllowListPath"] = "nowhere/allow-list.json" });

        var snapshot = app.Services.GetRequiredService<IAuthenticatorCatalog>().Current;
        Assert.Contains(snapshot.Problems, p => p.Contains("no file at", StringComparison.Ordinal));
    }

    private async Task<WebApplication> BootAsync(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = _workspace.Folder, EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddAuthenticatorMetadata();
        var app = builder.Build();
        try
        {
            await app.StartAsync(TestContext.Current.CancellationToken);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }
}
