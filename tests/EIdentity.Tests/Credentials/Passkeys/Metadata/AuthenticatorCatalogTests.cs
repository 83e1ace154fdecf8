using System.Buffers.Text;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EIdentity.Server.Credentials.Passkeys.Metadata;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Credentials.Passkeys.Metadata;

public sealed class AuthenticatorCatalogTests : IDisposable
{
    private static readonly Guid SecurityKeyAaguid = Guid.Parse("2fc0579f-8113-47ea-b116-bb5a8db9202a");

    private readonly MetadataWorkspace _workspace = new();
    private readonly TestCertificateAuthority _modelRoot = TestCertificateAuthority.CreateRoot("CN=Security Key Vendor Attestation Root");

    public void Dispose()
    {
        _modelRoot.Dispose();
        _workspace.Dispose();
    }

    [Fact]
    public void Blob_model_is_found_by_its_aaguid()
    {
        _workspace.WriteAllowList();
        _workspace.WriteBlob(_workspace.NewBlob()
            .Add(new Mds3Entry
            {
                Aaguid = SecurityKeyAaguid,
                Description = "Vendor Security Key NFC",
                AttestationRootCertificates = [_modelRoot.Certificate],
                KeyProtection = ["hardware", "secure_element"],
            })
            .Add(new Mds3Entry { Aaguid = Guid.NewGuid(), Description = "Software passkey", KeyProtection = ["software"] })
            .Build());

        var snapshot = _workspace.CreateCatalog().Current;

        Assert.Empty(snapshot.Problems);
        var model = snapshot.Find(SecurityKeyAaguid, null);
        Assert.NotNull(model);
        Assert.Equal("Vendor Security Key NFC", model.Description);
        Assert.Equal(AuthenticatorSource.MetadataService, model.Source);
        Assert.True(model.IsHardware);
        Assert.Equal("FIDO_CERTIFIED_L1", model.Status);
        Assert.Equal(_modelRoot.Certificate.Thumbprint, Assert.Single(model.AttestationRoots).Thumbprint);
        Assert.Null(snapshot.Find(Guid.NewGuid(), null));
        Assert.False(snapshot.Models.Single(m => m.Description == "Software passkey").IsHardware);
    }

    [Fact]
    public void U2f_model_is_found_by_the_subject_key_identifier_of_its_attestation_certificate()
    {
        using var withSki = _modelRoot.IssueLeaf("CN=U2F Attestation A",
            r => r.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(r.PublicKey, false)));
        using var withoutSki = _modelRoot.IssueLeaf("CN=U2F Attestation B");
        Assert.DoesNotContain(withoutSki.Extensions, e => e is X509SubjectKeyIdentifierExtension);
        var skiA = withSki.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifier!.ToLowerInvariant();
        // RFC 5280 4.2.1.2 method 1, as .NET computes it: SHA-1 of the subjectPublicKey bit string.
        var skiB = new X509SubjectKeyIdentifierExtension(withoutSki.PublicKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, false)
            .SubjectKeyIdentifier!.ToLowerInvariant();
        _workspace.WriteAllowList();
        _workspace.WriteBlob(_workspace.NewBlob()
            .Add(new Mds3Entry { AttestationCertificateKeyIdentifiers = [skiA], Description = "U2F key A", AttestationRootCertificates = [_modelRoot.Certificate] })
            .Add(new Mds3Entry { AttestationCertificateKeyIdentifiers = [skiB], Description = "U2F key B", AttestationRootCertificates = [_modelRoot.Certificate] })
            .Build());

        var snapshot = _workspace.CreateCatalog().Current;

        Assert.Equal("U2F key A", snapshot.Find(Guid.Empty, withSki)?.Description);
        Assert.Equal("U2F key B", snapshot.Find(Guid.Empty, withoutSki)?.Description);
        Assert.Null(snapshot.Find(Guid.Empty, null));
    }

    [Fact]
    public void Allow_list_entry_wins_over_the_blob_entry_for_the_same_aaguid()
    {
        using var ownRoot = TestCertificateAuthority.CreateRoot("CN=Operator Pinned Root");
        var rootFile = _workspace.WriteAllowListRoot("roots/pinned-root.pem", ownRoot.Certificate);
        _workspace.WriteAllowList(new
        {
            aaguid = SecurityKeyAaguid.ToString(),
            description = "Security key issued by the Ministry",
            attestationRootCertificates = new[] { rootFile, Convert.ToBase64String(_modelRoot.Certificate.RawData) },
            hardware = true,
        });
        _workspace.WriteBlob(_workspace.NewBlob()
            .Add(new Mds3Entry { Aaguid = SecurityKeyAaguid, Description = "From MDS3", AttestationRootCertificates = [_modelRoot.Certificate] })
            .Build());

        var snapshot = _workspace.CreateCatalog().Current;

        Assert.Empty(snapshot.Problems);
        var model = snapshot.Find(SecurityKeyAaguid, null);
        Assert.NotNull(model);
        Assert.Equal(AuthenticatorSource.AllowList, model.Source);
        Assert.Equal("Security key issued by the Ministry", model.Description);
        Assert.True(model.IsHardware);
        Assert.Equal([ownRoot.Certificate.Thumbprint, _modelRoot.Certificate.Thumbprint], model.AttestationRoots.Select(r => r.Thumbprint));
        Assert.Single(snapshot.Models, m => m.Aaguid == SecurityKeyAaguid);
    }

    [Fact]
    public void Blob_with_a_bad_signature_is_refused_and_the_previous_one_stays_in_use()
    {
        _workspace.WriteAllowList();
        _workspace.WriteBlob(_workspace.NewBlob(1).Add(new Mds3Entry { Aaguid = SecurityKeyAaguid, Description = "Good" }).Build());
        var catalog = _workspace.CreateCatalog();
        var before = catalog.Current;

        // Same signature, different payload: what a tampered download looks like.
        var genuine = _workspace.NewBlob(2).Add(new Mds3Entry { Aaguid = SecurityKeyAaguid, Description = "Genuine" }).Build().Split('.');
        var forged = _workspace.NewBlob(2).Add(new Mds3Entry { Aaguid = SecurityKeyAaguid, Description = "Forged" }).Build().Split('.');
        _workspace.WriteBlob($"{genuine[0]}.{forged[1]}.{genuine[2]}");
        var after = catalog.Reload();

        Assert.Equal("Good", after.Find(SecurityKeyAaguid, null)?.Description);
        Assert.Equal(before.Version, after.Version);
        Assert.Contains(after.Problems, p => p.Contains("signature is not valid", StringComparison.Ordinal) && p.Contains("stays in use", StringComparison.Ordinal));
    }

    [Fact]
    public void Blob_chaining_to_another_root_is_refused_and_the_previous_one_stays_in_use()
    {
        _workspace.WriteAllowList();
        _workspace.WriteBlob(_workspace.NewBlob(1).Add(new Mds3Entry { Aaguid = SecurityKeyAaguid, Description = "Good" }).Build());
        var catalog = _workspace.CreateCatalog();

        using var otherRoot = TestCertificateAuthority.CreateRoot("CN=Someone Else");
        _workspace.WriteBlob(Mds3BlobBuilder.SignedBy(otherRoot).WithNumber(2)
            .Add(new Mds3Entry { Aaguid = SecurityKeyAaguid, Description = "Impostor" }).Build());
        var after = catalog.Reload();

        Assert.Equal("Good", after.Find(SecurityKeyAaguid, null)?.Description);
        Assert.Contains(after.Problems, p => p.Contains("does not chain to the configured BLOB root", StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_blob_at_boot_leaves_no_mds3_models_and_says_why()
    {
        _workspace.WriteAllowList();
        using var otherRoot = TestCertificateAuthority.CreateRoot("CN=Someone Else");
        _workspace.WriteBlob(Mds3BlobBuilder.SignedBy(otherRoot).Add(new Mds3Entry { Aaguid = SecurityKeyAaguid }).Build());

        var snapshot = _workspace.CreateCatalog().Current;

        Assert.Empty(snapshot.Models);
        Assert.Contains(snapshot.Problems, p => p.Contains("refused", StringComparison.Ordinal));
    }

    [Fact]
    public void Blob_signed_for_another_name_is_refused_when_the_signer_name_is_pinned()
    {
        _workspace.BlobSignerName = "mds.fidoalliance.org";
        _workspace.WriteAllowList();
        _workspace.WriteBlob(_workspace.NewBlob().Add(new Mds3Entry { Aaguid = SecurityKeyAaguid }).Build());

        var snapshot = _workspace.CreateCatalog().Current;

        Assert.Null(snapshot.Find(SecurityKeyAaguid, null));
        Assert.Contains(snapshot.Problems, p => p.Contains("not issued for mds.fidoalliance.org", StringComparison.Ordinal));
    }

    [Fact]
    public void Older_blob_does_not_replace_a_newer_one()
    {
        _workspace.WriteAllowList();
        _workspace.WriteBlob(_workspace.NewBlob(7).Add(new Mds3Entry { Aaguid = SecurityKeyAaguid, Description = "Number 7" }).Build());
        var catalog = _workspace.CreateCatalog();

        _workspace.WriteBlob(_workspace.NewBlob(6).Add(new Mds3Entry { Aaguid = SecurityKeyAaguid, Description = "Number 6" }).Build());
        var after = catalog.Reload();

        Assert.Equal("Number 7", after.Find(SecurityKeyAaguid, null)?.Description);
        Assert.Contains(after.Problems, p => p.Contains("lower than", StringComparison.Ordinal));
    }

    [Fact]
    public void Stale_blob_still_loads_with_a_problem()
    {
        _workspace.WriteAllowList();
        var blob = _workspace.NewBlob().Add(new Mds3Entry { Aaguid = SecurityKeyAaguid, Description = "Old news" });
        blob.NextUpdate = DateOnly.FromDateTime(_workspace.Time.GetUtcNow().UtcDateTime.AddDays(-3));
        _workspace.WriteBlob(blob.Build());

        var snapshot = _workspace.CreateCatalog().Current;

        Assert.Equal("Old news", snapshot.Find(SecurityKeyAaguid, null)?.Description);
        Assert.Contains(snapshot.Problems, p => p.Contains("stale", StringComparison.Ordinal));
    }

    [Fact]
    public void Blob_becomes_stale_when_its_next_update_passes_without_a_new_file()
    {
        _workspace.WriteAllowList();
        var blob = _workspace.NewBlob().Add(new Mds3Entry { Aaguid = SecurityKeyAaguid });
        blob.NextUpdate = DateOnly.FromDateTime(_workspace.Time.GetUtcNow().UtcDateTime);
        _workspace.WriteBlob(blob.Build());
        var catalog = _workspace.CreateCatalog();
        Assert.Empty(catalog.Current.Problems);

        _workspace.Time.Advance(TimeSpan.FromDays(1));

        Assert.Contains(catalog.Current.Problems, p => p.Contains("stale", StringComparison.Ordinal));
    }

    [Fact]
    public void Latest_status_report_gives_the_model_status()
    {
        var revoked = Guid.NewGuid();
        var tie = Guid.NewGuid();
        _workspace.WriteAllowList();
        _workspace.WriteBlob(_workspace.NewBlob()
            .Add(new Mds3Entry
            {
                Aaguid = revoked,
                // Listed out of order on purpose: the date decides, not the position.
                StatusReports = [new("REVOKED", new DateOnly(2025, 3, 1)), new("FIDO_CERTIFIED_L2", new DateOnly(2023, 6, 1)), new("NOT_FIDO_CERTIFIED")],
            })
            .Add(new Mds3Entry
            {
                Aaguid = tie,
                StatusReports = [new("FIDO_CERTIFIED_L1", new DateOnly(2024, 5, 1)), new("UPDATE_AVAILABLE", new DateOnly(2024, 5, 1))],
            })
            .Build());

        var snapshot = _workspace.CreateCatalog().Current;

        var model = snapshot.Find(revoked, null);
        Assert.Equal("REVOKED", model?.Status);
        Assert.Equal(new DateOnly(2025, 3, 1), model?.StatusEffectiveDate);
        Assert.Equal("UPDATE_AVAILABLE", snapshot.Find(tie, null)?.Status);
    }

    [Fact]
    public void Allow_list_changes_are_picked_up_without_a_restart()
    {
        _workspace.WriteAllowList();
        var catalog = _workspace.CreateCatalog(withBlob: false);
        var before = catalog.Current;
        Assert.Null(before.Find(SecurityKeyAaguid, null));

        _workspace.WriteAllowList(new
        {
            aaguid = SecurityKeyAaguid.ToString(),
            description = "Newly approved key",
            attestationRootCertificates = new[] { Convert.ToBase64String(_modelRoot.Certificate.RawData) },
            hardware = true,
        });

        _workspace.Time.Advance(_workspace.ReloadCheckInterval - TimeSpan.FromSeconds(1));
        Assert.Null(catalog.Current.Find(SecurityKeyAaguid, null));

        _workspace.Time.Advance(TimeSpan.FromSeconds(1));
        var after = catalog.Current;
        Assert.Equal("Newly approved key", after.Find(SecurityKeyAaguid, null)?.Description);
        Assert.NotEqual(before.Version, after.Version);
    }

    [Fact]
    public void Replacing_an_allow_listed_root_file_is_picked_up_without_a_restart()
    {
        using var newRoot = TestCertificateAuthority.CreateRoot("CN=Rotated Vendor Root");
        var rootFile = _workspace.WriteAllowListRoot("roots/vendor.pem", _modelRoot.Certificate);
        _workspace.WriteAllowList(new { aaguid = SecurityKeyAaguid.ToString(), description = "Key", attestationRootCertificates = new[] { rootFile } });
        var catalog = _workspace.CreateCatalog(withBlob: false);

        _workspace.WriteAllowListRoot(rootFile, newRoot.Certificate);
        File.SetLastWriteTimeUtc(Path.Combine(Path.GetDirectoryName(_workspace.AllowListPath)!, rootFile), DateTime.UtcNow.AddHours(1));
        _workspace.Time.Advance(_workspace.ReloadCheckInterval);

        Assert.Equal(newRoot.Certificate.Thumbprint, catalog.Current.Find(SecurityKeyAaguid, null)?.AttestationRoots.Single().Thumbprint);
    }

    [Fact]
    public void Broken_allow_list_edit_keeps_the_list_that_was_in_use()
    {
        _workspace.WriteAllowList(new
        {
            aaguid = SecurityKeyAaguid.ToString(),
            description = "Approved key",
            attestationRootCertificates = new[] { Convert.ToBase64String(_modelRoot.Certificate.RawData) },
        });
        var catalog = _workspace.CreateCatalog(withBlob: false);

        _workspace.WriteAllowList(new
        {
            aaguid = SecurityKeyAaguid.ToString(),
            description = "Approved key",
            attestationRootCertificates = new[] { Path.Combine("roots", "missing.pem") },
        });
        var after = catalog.Reload();

        Assert.Equal("Approved key", after.Find(SecurityKeyAaguid, null)?.Description);
        Assert.Contains(after.Problems, p => p.Contains("missing.pem", StringComparison.Ordinal) && p.Contains("stays in use", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_allow_list_is_an_empty_list_with_a_problem()
    {
        var snapshot = _workspace.CreateCatalog(withBlob: false).Current;

        Assert.Empty(snapshot.Models);
        Assert.Contains(snapshot.Problems, p => p.Contains("no file at", StringComparison.Ordinal));
    }

    [Fact]
    public void Shipped_allow_list_loads_without_problems()
    {
        var shipped = Path.Combine(RepositoryRoot(), "certs", "authenticators", "allow-list.json");
        _workspace.WriteAllowListText(File.ReadAllText(shipped));

        var snapshot = _workspace.CreateCatalog(withBlob: false).Current;

        Assert.Empty(snapshot.Problems);
        Assert.Empty(snapshot.Models);
    }

    [Theory]
    [InlineData("""{ "authenticators": [ { "aaguid": "not-a-uuid", "description": "x", "attestationRootCertificates": ["MIIB"] } ] }""", "aaguid")]
    [InlineData("""{ "authenticators": [ { "aaguid": "2fc0579f-8113-47ea-b116-bb5a8db9202a", "description": "x", "attestationRootCertificates": [] } ] }""", "at least one root")]
    [InlineData("""{ "authenticators": [ { "aaguid": "2fc0579f-8113-47ea-b116-bb5a8db9202a", "description": "x", "hardwre": true } ] }""", "unknown property \"hardwre\"")]
    [InlineData("""{ "authenticators": [ { "description": "x", "attestationRootCertificates": ["MIIB"] } ] }""", "\"aaguid\" or \"attestationCertificateKeyIdentifiers\"")]
    [InlineData("""{ "authenticators": [ """, "not valid JSON")]
    public void Invalid_allow_list_is_refused_with_a_readable_problem(string json, string expected)
    {
        _workspace.WriteAllowListText(json);

        var snapshot = _workspace.CreateCatalog(withBlob: false).Current;

        Assert.Empty(snapshot.Models);
        Assert.Contains(snapshot.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Version_is_stable_while_the_content_is_unchanged()
    {
        _workspace.WriteAllowList();
        _workspace.WriteBlob(_workspace.NewBlob().Add(new Mds3Entry { Aaguid = SecurityKeyAaguid }).Build());
        var catalog = _workspace.CreateCatalog();
        var first = catalog.Current;

        _workspace.Time.Advance(_workspace.ReloadCheckInterval * 3);
        Assert.Same(first, catalog.Current);
        Assert.Equal(first.Version, catalog.Reload().Version);
        Assert.Equal(first.Version, _workspace.CreateCatalog().Current.Version);
    }

    [Fact]
    public void Blob_header_without_x5c_is_refused()
    {
        _workspace.WriteAllowList();
        var parts = _workspace.NewBlob().Add(new Mds3Entry { Aaguid = SecurityKeyAaguid }).Build().Split('.');
        var header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes("""{"alg":"ES256","typ":"JWT"}"""));
        _workspace.WriteBlob($"{header}.{parts[1]}.{parts[2]}");

        var snapshot = _workspace.CreateCatalog().Current;

        Assert.Empty(snapshot.Models);
        Assert.Contains(snapshot.Problems, p => p.Contains("no x5c", StringComparison.Ordinal));
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "EIdentity.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("EIdentity.sln not found above the test binaries.");
    }
}
