using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EIdentity.Server.Cli;
using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Credentials.Certificates.Development;
using EIdentity.Server.Identities;
using EIdentity.Tests.Cli;
using Microsoft.Extensions.Time.Testing;
using Org.BouncyCastle.X509;
using static EIdentity.Server.Credentials.Certificates.Development.DevelopmentPki;

namespace EIdentity.Tests.Credentials.Certificates;

/// <summary>A development PKI generated once, at <see cref="TestPki.Now"/>, into a temporary folder.</summary>
public sealed class GeneratedDevelopmentPki : IDisposable
{
    public GeneratedDevelopmentPki()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("eidentity-dev-pki-").FullName;
        Folder = Path.Combine(Directory, "dev-pki");
        using var output = new StringWriter();
        using var error = new StringWriter();
        ExitCode = DevelopmentPkiCommands.GenerateAsync(
            CommandArguments.Parse(["--out", Folder], DevelopmentPkiCommands.Flags), new FakeTimeProvider(TestPki.Now), output, error).GetAwaiter().GetResult();
        Output = output.ToString();
        Error = error.ToString();
    }

    public string Directory { get; }

    public string Folder { get; }

    public int ExitCode { get; }

    public string Output { get; }

    public string Error { get; }

    public string File(string name) => Path.Combine(Folder, name);

    public X509Certificate2 Certificate(string name) => X509CertificateLoader.LoadCertificateFromFile(File(CertificateFile(name)));

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}

/// <summary>
/// <c>certs dev-pki</c> and <see cref="DevelopmentPkiStore"/>: the development PKI a developer signs
/// in with, judged the way sign-in and <c>certificate verify</c> judge certificates.
/// </summary>
public sealed class DevelopmentPkiTests(GeneratedDevelopmentPki pki) : IClassFixture<GeneratedDevelopmentPki>
{
    private static readonly string[] EndEntities = [DemoPerson, PersonWithCmnd, OrganizationSeal, Employee, Revoked, Expired, WrongKeyUsage, UnknownCa];

    [Fact]
    public void Every_file_name_says_dev_and_each_written_file_is_printed()
    {
        var files = Directory.GetFiles(pki.Folder).Select(Path.GetFileName).ToList();

        Assert.True(pki.ExitCode == 0, pki.Error);
        Assert.All(files, name => Assert.Contains("dev", name, StringComparison.Ordinal));
        Assert.Equal(
            files.Select(name => $"wrote {Path.Combine(pki.Folder, name!)}").Order(StringComparer.Ordinal),
            pki.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
        Assert.Contains(ReadmeFile, files);
        Assert.Contains(RevocationListFile, files);
        Assert.Contains("dev-mtls-server.p12", files);
        Assert.All(EndEntities, name => Assert.Contains($"{name}.dev.p12", files));
        Assert.All([RootCa, LicensedCa1, LicensedCa2], ca => Assert.Contains($"{ca}.crl", files));
        Assert.All([RootCa, LicensedCa1, LicensedCa2, UnknownRootCa, TlsRootCa, .. EndEntities, MutualTlsServer], name =>
        {
            Assert.Contains($"{name}.pem", files);
            Assert.Contains($"{name}.key.dev-only.pem", files);
        });
    }

    [Fact]
    public async Task Demo_person_certificate_chains_from_the_root_through_licensed_CA_1_and_carries_the_hardware_policy()
    {
        using var person = pki.Certificate(DemoPerson);

        var result = await ValidateAsync(person, TestPki.Now);
        var ids = CertificateIdentifiers.Read(person);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(
            ["CN=Nguyễn Văn An", "CN=Dev Licensed CA 1", "CN=EIdentity Dev National Root CA"],
            result.Path!.Select(c => c.GetNameInfo(X509NameType.SimpleName, false)).Select(n => $"CN={n}"));
        Assert.True(ids.IsValid, ids.Reason);
        Assert.Equal(CertificateSubjectKind.Person, ids.Kind);
        Assert.Equal([NationalIdNumber.Parse("001099012345")], ids.Ids.PersonIds);
        Assert.Equal([HardwareTokenPolicyOid], Policies(person));
        Assert.Contains("http://localhost:5000/dev-pki/crl/dev-licensed-ca-1.crl", CrlDistributionPoint(person), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Twelve_digit_CMND_person_under_licensed_CA_2_is_valid_without_the_hardware_policy()
    {
        using var person = pki.Certificate(PersonWithCmnd);

        var result = await ValidateAsync(person, TestPki.Now);
        var ids = CertificateIdentifiers.Read(person);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal("CN=Dev Licensed CA 2, O=EIdentity Development (not for production), C=VN", result.Path![1].Subject);
        Assert.Equal([NationalIdNumber.Parse("079201000123")], ids.Ids.PersonIds);
        Assert.Empty(Policies(person));
    }

    [Fact]
    public void Employee_certificate_names_a_person_for_an_organization_and_the_seal_names_the_organization()
    {
        using var employee = pki.Certificate(Employee);
        using var seal = pki.Certificate(OrganizationSeal);

        var employeeIds = CertificateIdentifiers.Read(employee);
        var sealIds = CertificateIdentifiers.Read(seal);

        Assert.True(employeeIds.IsValid, employeeIds.Reason);
        Assert.Equal(CertificateSubjectKind.PersonForOrganization, employeeIds.Kind);
        Assert.Equal([NationalIdNumber.Parse("001099012345")], employeeIds.Ids.PersonIds);
        Assert.Equal([TaxCode.Parse("0101234567")], employeeIds.Ids.TaxCodes);
        Assert.True(sealIds.IsValid, sealIds.Reason);
        Assert.Equal(CertificateSubjectKind.Organization, sealIds.Kind);
        Assert.Equal([TaxCode.Parse("0101234567")], sealIds.Ids.TaxCodes);
    }

    [Fact]
    public void Revoked_certificate_is_listed_in_licensed_CA_1_CRL_and_the_revocation_list()
    {
        using var revoked = pki.Certificate(Revoked);
        using var ca1 = pki.Certificate(LicensedCa1);

        var crl = new X509CrlParser().ReadCrl(File.ReadAllBytes(pki.File(CrlFile(LicensedCa1))));
        crl.Verify(new Org.BouncyCastle.X509.X509Certificate(ca1.RawData).GetPublicKey());
        var entry = crl.GetRevokedCertificate(new Org.BouncyCastle.Math.BigInteger(1, revoked.SerialNumberBytes.ToArray()));
        var listed = ReadRevocations(File.ReadAllBytes(pki.File(RevocationListFile)), RevocationListFile);

        Assert.NotNull(entry);
        Assert.Equal("keyCompromise", CrlRevocationSource.ReasonOf(entry));
        Assert.Equal(TestPki.Now.AddDays(30), new DateTimeOffset(DateTime.SpecifyKind(crl.NextUpdate!.Value, DateTimeKind.Utc)));
        var revocation = Assert.Single(listed);
        Assert.Equal((LicensedCa1, SerialNumber(revoked), X509RevocationReason.KeyCompromise), (revocation.CaName, revocation.SerialNumber, revocation.Reason));
    }

    [Fact]
    public void Expired_certificate_expired_before_generation()
    {
        using var expired = pki.Certificate(Expired);

        Assert.True(expired.NotAfter.ToUniversalTime() < TestPki.Now.UtcDateTime);
        Assert.Equal(2024, expired.NotAfter.ToUniversalTime().Year);
    }

    [Fact]
    public void Person_pkcs12_opens_with_the_dev_only_password_and_holds_the_key_and_chain()
    {
        var collection = X509CertificateLoader.LoadPkcs12CollectionFromFile(pki.File($"{DemoPerson}.dev.p12"), Password);
        try
        {
            var withKey = Assert.Single(collection, c => c.HasPrivateKey);
            using var key = withKey.GetECDsaPrivateKey()!;
            using var person = pki.Certificate(DemoPerson);

            Assert.Equal(person.Thumbprint, withKey.Thumbprint);
            Assert.True(key.VerifyData("hello"u8, key.SignData("hello"u8, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256));
            Assert.Equal(3, collection.Count);
            Assert.Throws<CryptographicException>(() => X509CertificateLoader.LoadPkcs12CollectionFromFile(pki.File($"{DemoPerson}.dev.p12"), "wrong"));
        }
        finally
        {
            foreach (var certificate in collection)
            {
                certificate.Dispose();
            }
        }
    }

    [Fact]
    public void Mutual_tls_server_pkcs12_serves_localhost_and_127_0_0_1_from_its_own_root()
    {
        using var server = X509CertificateLoader.LoadPkcs12FromFile(pki.File("dev-mtls-server.p12"), Password);
        using var tlsRoot = pki.Certificate(TlsRootCa);
        using var nationalRoot = pki.Certificate(RootCa);

        var names = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        var usage = server.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();

        Assert.True(server.HasPrivateKey);
        Assert.Equal(["localhost"], names.EnumerateDnsNames());
        Assert.Equal(["127.0.0.1"], names.EnumerateIPAddresses().Select(a => a.ToString()));
        Assert.Equal(["1.3.6.1.5.5.7.3.1"], usage.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        Assert.Equal(tlsRoot.Subject, server.Issuer);
        Assert.NotEqual(nationalRoot.Subject, server.Issuer);
        Assert.True(server.MatchesHostname("localhost"));
    }

    [Fact]
    public async Task Certificate_verify_accepts_the_demo_person_and_refuses_each_broken_certificate_with_its_reason()
    {
        string Pem(string name) => pki.File(CertificateFile(name));
        using var output = new StringWriter();

        var exitCode = await CertificateCommands.VerifyAsync(
            CommandArguments.Parse(
                [
                    Pem(DemoPerson), Pem(Revoked), Pem(Expired), Pem(WrongKeyUsage), Pem(UnknownCa),
                    "--trust-anchor", Pem(RootCa), "--intermediate", Pem(LicensedCa1), "--intermediate", Pem(LicensedCa2),
                    "--crl", pki.File(CrlFile(RootCa)), "--crl", pki.File(CrlFile(LicensedCa1)), "--crl", pki.File(CrlFile(LicensedCa2)),
                    "--at", TestPki.Now.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ],
                CertificateCommands.VerifyFlags,
                positional: true),
            new FakeTimeProvider(TestPki.Now),
            output);

        Assert.Equal(1, exitCode);
        Assert.Equal(
            [
                $"{Pem(DemoPerson)}: VALID: The certificate chains to a trust anchor, and no certificate in its path is expired, misused or revoked.",
                $"{Pem(Revoked)}: INVALID: The certificate was revoked on 2026-06-01 (keyCompromise).",
                $"{Pem(Expired)}: INVALID: The certificate expired on 2024-12-31.",
                $"{Pem(WrongKeyUsage)}: INVALID: The certificate is not allowed to make digital signatures (no digitalSignature key usage).",
                $"{Pem(UnknownCa)}: INVALID: The certificate's issuer is neither a trust anchor nor one of the supplied intermediate CA certificates (no certificate has its issuer's name).",
            ],
            output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Second_run_without_force_refuses_and_leaves_the_files_alone()
    {
        var before = File.ReadAllBytes(pki.File(CertificateFile(DemoPerson)));
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await DevelopmentPkiCommands.GenerateAsync(
            CommandArguments.Parse(["--out", pki.Folder], DevelopmentPkiCommands.Flags), new FakeTimeProvider(TestPki.Now), output, error);

        Assert.Equal(1, exitCode);
        Assert.Empty(output.ToString());
        Assert.Contains("already exists and is not empty; nothing was written. Pass --force", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(pki.File(CertificateFile(DemoPerson))));
    }

    [Fact]
    public async Task Force_replaces_the_pki_and_base_url_moves_the_revocation_urls()
    {
        var folder = Path.Combine(pki.Directory, "forced");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "existing.dev.txt"), "x");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await DevelopmentPkiCommands.GenerateAsync(
            CommandArguments.Parse(["--out", folder, "--force", "--base-url", "https://id.dev.example:8443/"], DevelopmentPkiCommands.Flags),
            new FakeTimeProvider(TestPki.Now), output, error);
        using var person = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(folder, CertificateFile(DemoPerson)));
        using var ca1 = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(folder, CertificateFile(LicensedCa1)));

        Assert.True(exitCode == 0, error.ToString());
        Assert.Contains("https://id.dev.example:8443/dev-pki/crl/dev-licensed-ca-1.crl", CrlDistributionPoint(person), StringComparison.Ordinal);
        Assert.Contains("https://id.dev.example:8443/dev-pki/crl/dev-national-root-ca.crl", CrlDistributionPoint(ca1), StringComparison.Ordinal);
        Assert.Contains("https://id.dev.example:8443/dev-pki/ocsp/dev-licensed-ca-1", OcspUrls(person));
    }

    [Fact]
    public async Task Invalid_base_url_is_a_usage_error()
    {
        var error = await Assert.ThrowsAsync<CommandException>(() => DevelopmentPkiCommands.GenerateAsync(
            CommandArguments.Parse(["--out", Path.Combine(pki.Directory, "never"), "--base-url", "localhost:5000"], DevelopmentPkiCommands.Flags),
            new FakeTimeProvider(TestPki.Now), TextWriter.Null, TextWriter.Null));

        Assert.StartsWith("--base-url must be an absolute http or https URL", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(pki.Directory, "never")));
    }

    [Fact]
    public async Task Fresh_crl_lists_the_revoked_serial_verifies_with_the_CA_key_and_keeps_the_pki_usable_after_the_committed_crls_go_stale()
    {
        using var store = DevelopmentPkiStore.Load(pki.Folder);
        using var revoked = pki.Certificate(Revoked);
        using var person = pki.Certificate(DemoPerson);
        var later = TestPki.Now.AddDays(45);

        var fresh = store.FreshCrl(LicensedCa1, later);
        var crl = new X509CrlParser().ReadCrl(fresh);
        var committedNumber = CrlNumber(new X509CrlParser().ReadCrl(File.ReadAllBytes(pki.File(CrlFile(LicensedCa1)))));
        crl.Verify(store.GetCa(LicensedCa1).BcCertificate.GetPublicKey());
        var staleCrls = await ValidateAsync(person, later);
        var freshCrls = await ValidateAsync(person, later, [.. PublishingCas.Select(ca => store.FreshCrl(ca, later))]);
        var revokedWithFreshCrls = await ValidateAsync(revoked, later, [.. PublishingCas.Select(ca => store.FreshCrl(ca, later))]);

        Assert.NotNull(crl.GetRevokedCertificate(new Org.BouncyCastle.Math.BigInteger(1, revoked.SerialNumberBytes.ToArray())));
        Assert.Equal(later.UtcDateTime, crl.ThisUpdate);
        Assert.Equal(later.AddDays(1).UtcDateTime, crl.NextUpdate);
        Assert.True(CrlNumber(crl) > committedNumber);
        Assert.NotNull(crl.GetExtensionValue(Org.BouncyCastle.Asn1.X509.X509Extensions.AuthorityKeyIdentifier));
        Assert.False(staleCrls.IsValid);
        Assert.Contains("stale", staleCrls.Reason, StringComparison.Ordinal);
        Assert.True(freshCrls.IsValid, freshCrls.Reason);
        Assert.Equal("The certificate was revoked on 2026-06-01 (keyCompromise).", revokedWithFreshCrls.Reason);
    }

    [Fact]
    public void Store_says_which_serials_each_CA_revoked_and_issued_and_holds_the_CA_keys()
    {
        using var store = DevelopmentPkiStore.Load(pki.Folder);
        using var revoked = pki.Certificate(Revoked);
        using var person = pki.Certificate(DemoPerson);
        using var cmndPerson = pki.Certificate(PersonWithCmnd);
        var lookup = store.RevocationLookup(LicensedCa1);
        var ca1 = store.GetCa(LicensedCa1);

        var revocation = lookup(SerialNumber(revoked));

        Assert.Equal([RootCa, LicensedCa1, LicensedCa2], store.CertificateAuthorities.Select(ca => ca.Name));
        Assert.NotNull(revocation);
        Assert.Equal(X509RevocationReason.KeyCompromise, revocation.Reason);
        Assert.Equal(TestPki.Now.AddHours(-1), revocation.RevokedAt);
        Assert.Null(lookup(SerialNumber(person)));
        Assert.Null(store.FindRevocation(LicensedCa2, SerialNumber(revoked)));
        Assert.True(ca1.Issued(SerialNumber(person)));
        Assert.False(ca1.Issued(SerialNumber(cmndPerson)));
        Assert.False(ca1.Issued(BigInteger.One));
        Assert.True(store.GetCa(RootCa).Issued(SerialNumber(ca1.Certificate)));
        Assert.True(ca1.Certificate.HasPrivateKey);
        Assert.NotNull(ca1.BcPrivateKey);
        Assert.True(ca1.BcPrivateKey.IsPrivate);
        Assert.False(store.TryGetCa(UnknownRootCa, out _));
        Assert.Throws<ArgumentException>(() => store.FreshCrl("dev-nonexistent-ca", TestPki.Now));
    }

    [Fact]
    public void Store_refuses_a_folder_without_the_revocation_list_and_says_how_to_regenerate()
    {
        var folder = Directory.CreateTempSubdirectory("eidentity-dev-pki-empty-").FullName;
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => DevelopmentPkiStore.Load(folder));

            Assert.Contains(RevocationListFile, error.Message, StringComparison.Ordinal);
            Assert.Contains("certs dev-pki --force", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Server_executable_generates_the_pki_and_lists_the_verb_in_its_help()
    {
        var folder = Path.Combine(pki.Directory, "from-executable");

        var run = await ServerCommandTests.RunServerAsync(pki.Directory, migrateOnStartup: false, ["certs", "dev-pki", "--out", folder]);
        var again = await ServerCommandTests.RunServerAsync(pki.Directory, migrateOnStartup: false, ["certs", "dev-pki", "--out", folder]);
        var help = await ServerCommandTests.RunServerAsync(pki.Directory, migrateOnStartup: false, ["help"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"wrote {Path.Combine(folder, CertificateFile(DemoPerson))}", run.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder, "dev-mtls-server.p12")));
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("Pass --force", again.ToString(), StringComparison.Ordinal);
        Assert.Contains("certs dev-pki [--out <dir>] [--base-url <url>] [--force]", help.Output, StringComparison.Ordinal);
    }

    /// <summary>Validates against the folder's root and licensed CAs, with its committed CRLs unless others are given.</summary>
    private async Task<CertificateValidationResult> ValidateAsync(X509Certificate2 certificate, DateTimeOffset at, IReadOnlyList<byte[]>? crls = null)
    {
        using var root = pki.Certificate(RootCa);
        using var ca1 = pki.Certificate(LicensedCa1);
        using var ca2 = pki.Certificate(LicensedCa2);
        return await CertificatePathValidator.ValidateAsync(
            certificate, [root], [ca1, ca2], crls ?? [.. PublishingCas.Select(ca => File.ReadAllBytes(pki.File(CrlFile(ca))))], at, CertificateValidationOptions.Default);
    }

    internal static List<string> Policies(X509Certificate2 certificate)
    {
        if (certificate.Extensions["2.5.29.32"] is not { } extension)
        {
            return [];
        }

        var policies = new List<string>();
        var sequence = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
        while (sequence.HasData)
        {
            policies.Add(sequence.ReadSequence().ReadObjectIdentifier());
        }

        return policies;
    }

    private static string CrlDistributionPoint(X509Certificate2 certificate) =>
        System.Text.Encoding.ASCII.GetString(certificate.Extensions["2.5.29.31"]!.RawData);

    private static IEnumerable<string> OcspUrls(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509AuthorityInformationAccessExtension>().Single().EnumerateOcspUris();

    private static System.Numerics.BigInteger CrlNumber(X509Crl crl) =>
        new(Org.BouncyCastle.Asn1.DerInteger.GetInstance(
            Org.BouncyCastle.Asn1.Asn1Object.FromByteArray(crl.GetExtensionValue(Org.BouncyCastle.Asn1.X509.X509Extensions.CrlNumber).GetOctets())).Value.ToByteArrayUnsigned(),
            isUnsigned: true, isBigEndian: true);
}

/// <summary>
/// The development PKI committed in <c>certs/dev-pki/</c>: present, and usable today, so that a
/// change (or an expired certificate) that breaks the repository's copy fails here first.
/// </summary>
public sealed class CommittedDevelopmentPkiTests
{
    private static readonly string Folder = Path.Combine(RepositoryRoot(), "certs", "dev-pki");

    [Fact]
    public void Committed_development_pki_has_every_file_and_every_name_says_dev()
    {
        string[] expected =
        [
            ReadmeFile, RevocationListFile, "dev-mtls-server.p12",
            .. PublishingCas.Select(CrlFile),
            .. new[] { RootCa, LicensedCa1, LicensedCa2, UnknownRootCa, TlsRootCa, MutualTlsServer }.SelectMany(n => new[] { CertificateFile(n), KeyFile(n) }),
            .. new[] { DemoPerson, PersonWithCmnd, OrganizationSeal, Employee, Revoked, Expired, WrongKeyUsage, UnknownCa }.SelectMany(n => new[] { CertificateFile(n), KeyFile(n), Pkcs12File(n) }),
        ];

        var files = Directory.GetFiles(Folder).Select(f => Path.GetFileName(f)!).ToList();

        Assert.Empty(expected.Except(files));
        Assert.All(files, name => Assert.Contains("dev", name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Committed_demo_person_certificate_is_valid_now_with_crls_the_development_server_signs()
    {
        var now = TimeProvider.System.GetUtcNow();
        using var store = DevelopmentPkiStore.Load(Folder);
        using var person = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Folder, CertificateFile(DemoPerson)));
        using var revoked = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Folder, CertificateFile(Revoked)));
        using var root = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Folder, CertificateFile(RootCa)));
        using var ca1 = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Folder, CertificateFile(LicensedCa1)));
        using var ca2 = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Folder, CertificateFile(LicensedCa2)));
        byte[][] crls = [.. PublishingCas.Select(ca => store.FreshCrl(ca, now))];

        var personResult = await CertificatePathValidator.ValidateAsync(person, [root], [ca1, ca2], crls, now, CertificateValidationOptions.Default);
        var revokedResult = await CertificatePathValidator.ValidateAsync(revoked, [root], [ca1, ca2], crls, now, CertificateValidationOptions.Default);

        Assert.True(personResult.IsValid, personResult.Reason);
        Assert.Equal(3, personResult.Path!.Count);
        Assert.Equal(ca1.Thumbprint, personResult.Path[1].Thumbprint);
        Assert.Equal("001099012345", Assert.Single(CertificateIdentifiers.Read(person).Ids.PersonIds).Value);
        Assert.Equal([HardwareTokenPolicyOid], DevelopmentPkiTests.Policies(person));
        Assert.False(revokedResult.IsValid);
        Assert.Contains("revoked", revokedResult.Reason, StringComparison.Ordinal);
        Assert.True(person.NotAfter.ToUniversalTime() > now.UtcDateTime.AddYears(1), "The committed development PKI expires within a year: regenerate it with 'certs dev-pki --force'.");
    }

    [Fact]
    public void Committed_pkcs12_files_open_with_the_dev_only_password()
    {
        using var person = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(Folder, Pkcs12File(DemoPerson)), Password);
        using var server = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(Folder, Pkcs12File(MutualTlsServer)), Password);

        Assert.True(person.HasPrivateKey);
        Assert.True(server.HasPrivateKey);
        Assert.True(server.MatchesHostname("localhost"));
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "EIdentity.sln")) || Directory.Exists(Path.Combine(folder.FullName, ".git")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds EIdentity.sln.");
    }
}
