using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Credentials.Passkeys.Metadata;

/// <summary>
/// Settings under <c>Passkeys:Metadata</c>: where the authenticator metadata comes from. Relative
/// paths resolve against the host's content root. See docs/authenticator-metadata.md.
/// </summary>
internal sealed class PasskeyMetadataOptions
{
    public const string Section = "Passkeys:Metadata";

    /// <summary>
    /// The operator's allow-list (JSON, format in certs/README.md). A missing file is an empty
    /// allow-list and a problem in the catalog, not a failed boot: the file may arrive later.
    /// </summary>
    [Required(ErrorMessage = "Passkeys:Metadata:AllowListPath is required (e.g. certs/authenticators/allow-list.json).")]
    public string AllowListPath { get; set; } = "certs/authenticators/allow-list.json";

    /// <summary>The FIDO MDS3 BLOB (a JWS file downloaded from https://mds3.fidoalliance.org/); optional.</summary>
    public string? BlobPath { get; set; }

    /// <summary>The root certificate (PEM or DER) the BLOB's <c>x5c</c> must chain to; required with <see cref="BlobPath"/>.</summary>
    public string? BlobRootCertificatePath { get; set; }

    /// <summary>
    /// When set, the BLOB's signing certificate (x5c[0]) must be issued for this DNS name. A public
    /// root such as GlobalSign Root CA - R3 issues certificates to anyone; the name pins the signer.
    /// </summary>
    public string? BlobSignerName { get; set; }

    /// <summary>How often the catalog looks at the files' last-write times.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00",
        ErrorMessage = "Passkeys:Metadata:ReloadCheckInterval must lie between 00:00:01 and 1.00:00:00.")]
    public TimeSpan ReloadCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Makes every path absolute against the content root (the host calls this; tests pass absolute paths).</summary>
    public void ResolvePaths(string contentRoot)
    {
        AllowListPath = Resolve(contentRoot, AllowListPath) ?? "";
        BlobPath = Resolve(contentRoot, BlobPath);
        BlobRootCertificatePath = Resolve(contentRoot, BlobRootCertificatePath);
    }

    private static string? Resolve(string contentRoot, string? path) =>
        string.IsNullOrWhiteSpace(path) ? null : Path.GetFullPath(path, contentRoot);
}

/// <summary>Cross-field rules and the BLOB root, which must be readable at boot: a broken trust anchor is a configuration error.</summary>
internal sealed class PasskeyMetadataOptionsValidator : IValidateOptions<PasskeyMetadataOptions>
{
    public ValidateOptionsResult Validate(string? name, PasskeyMetadataOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var hasBlob = !string.IsNullOrWhiteSpace(options.BlobPath);
        var hasRoot = !string.IsNullOrWhiteSpace(options.BlobRootCertificatePath);

        if (hasBlob && !hasRoot)
        {
            failures.Add("Passkeys:Metadata:BlobRootCertificatePath is required when Passkeys:Metadata:BlobPath is set: "
                + "give the root certificate (PEM or DER) the MDS3 BLOB must chain to, e.g. GlobalSign Root CA - R3.");
        }

        // The usual BLOB root (GlobalSign Root CA - R3) is a public web root: a chain alone does not
        // prove the FIDO Alliance signed the BLOB, the signer's name does.
        if (hasBlob && string.IsNullOrWhiteSpace(options.BlobSignerName))
        {
            failures.Add("Passkeys:Metadata:BlobSignerName is required when Passkeys:Metadata:BlobPath is set: "
                + "the DNS name the BLOB's signing certificate is issued for, e.g. mds.fidoalliance.org.");
        }

        if (hasRoot)
        {
            var (root, problem) = CertificateFiles.LoadCertificate(options.BlobRootCertificatePath!);
            if (root is null)
            {
                failures.Add($"Passkeys:Metadata:BlobRootCertificatePath: {problem}");
            }

            root?.Dispose();
        }

        if (!string.IsNullOrEmpty(options.BlobSignerName) && Uri.CheckHostName(options.BlobSignerName) != UriHostNameType.Dns)
        {
            failures.Add("Passkeys:Metadata:BlobSignerName must be a DNS name such as mds.fidoalliance.org.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
