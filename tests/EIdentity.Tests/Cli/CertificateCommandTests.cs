using System.Security.Cryptography.X509Certificates;
using EIdentity.Server.Cli;
using EIdentity.Tests.Credentials.Certificates;
using Microsoft.Extensions.Time.Testing;
using static EIdentity.Tests.Credentials.Certificates.TestPki;

namespace EIdentity.Tests.Cli;

/// <summary>
/// <c>certificate verify</c>: one line per certificate file with VALID or INVALID and the reason,
/// exit 0 only when all are valid; PEM and DER files alike.
/// </summary>
public sealed class CertificateCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("eidentity-cli-certificates-").FullName;
    private readonly TestKey _root = Root();
    private readonly TestKey _intermediate;
    private readonly TestKey _good;
    private readonly TestKey _revoked;

    public CertificateCommandTests()
    {
        _intermediate = Ca("CN=EIdentity Test Issuing CA, O=EIdentity Tests, C=VN", _root);
        _good = Leaf(_intermediate);
        _revoked = Leaf(_intermediate, name: "CN=Tran Thi Binh, C=VN");
    }

    public void Dispose()
    {
        _good.Dispose();
        _revoked.Dispose();
        _intermediate.Dispose();
        _root.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    [Fact]
    public async Task Each_certificate_gets_a_line_and_one_revoked_certificate_makes_the_exit_code_1()
    {
        var good = WritePem("good.pem", _good.Certificate);
        var revoked = WriteDer("revoked.cer", _revoked.Certificate);

        var (exitCode, output) = await VerifyInProcessAsync(
            good, revoked, "--trust-anchor", WritePem("root.pem", _root.Certificate),
            "--intermediate", WriteDer("issuing.cer", _intermediate.Certificate),
            "--crl", WriteCrlPem("root.crl.pem", Crl(_root)),
            "--crl", WriteFile("issuing.crl", Crl(_intermediate, revoked: [_revoked])));

        Assert.Equal(1, exitCode);
        Assert.Equal(
            [
                $"{good}: VALID: The certificate chains to a trust anchor, and no certificate in its path is expired, misused or revoked.",
                $"{revoked}: INVALID: The certificate was revoked on 2026-03-01 (keyCompromise).",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Certificates_valid_at_the_time_asked_exit_0_and_files_may_follow_the_options()
    {
        var (exitCode, output) = await VerifyInProcessAsync(
            "--trust-anchor", WritePem("root.pem", _root.Certificate), "--no-fetch",
            "--intermediate", WritePem("issuing.pem", _intermediate.Certificate),
            "--crl", WriteFile("root.crl", Crl(_root)), "--crl", WriteFile("issuing.crl", Crl(_intermediate)),
            "--at", "2026-06-02T08:00:00Z",
            WritePem("good.pem", _good.Certificate), WriteDer("other.cer", _revoked.Certificate));

        Assert.True(exitCode == 0, output);
        Assert.Equal(2, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains(": VALID: ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Without_crls_the_certificate_is_invalid_because_nothing_is_fetched()
    {
        var good = WritePem("good.pem", _good.Certificate);

        var (exitCode, output) = await VerifyInProcessAsync(
            good, "--trust-anchor", WritePem("root.pem", _root.Certificate), "--intermediate", WritePem("issuing.pem", _intermediate.Certificate), "--no-fetch");

        Assert.Equal(1, exitCode);
        Assert.Equal($"{good}: INVALID: The revocation status of the certificate is unknown: no CRL from its issuer was supplied.", output.Trim());
    }

    [Fact]
    public async Task Server_executable_verifies_certificates_and_lists_the_verb_in_its_help()
    {
        string[] args =
        [
            "certificate", "verify", WritePem("good.pem", _good.Certificate),
            "--trust-anchor", WritePem("root.pem", _root.Certificate), "--intermediate", WriteDer("issuing.cer", _intermediate.Certificate),
            "--crl", WriteFile("root.crl", Crl(_root)), "--crl", WriteCrlPem("issuing.crl.pem", Crl(_intermediate, revoked: [_good])),
            "--at", "2026-06-01T12:00:00Z", "--no-fetch",
        ];

        var run = await ServerCommandTests.RunServerAsync(_folder, migrateOnStartup: false, args);
        var help = await ServerCommandTests.RunServerAsync(_folder, migrateOnStartup: false, ["help"]);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("good.pem: INVALID: The certificate was revoked on 2026-03-01 (keyCompromise).", run.Output, StringComparison.Ordinal);
        Assert.Contains("certificate verify <cert-file>... --trust-anchor <file>", help.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_trust_anchor_is_a_usage_error()
    {
        var error = await Assert.ThrowsAsync<CommandException>(() => VerifyInProcessAsync(WritePem("good.pem", _good.Certificate)));

        Assert.Equal("--trust-anchor is required", error.Message);
    }

    private static async Task<(int ExitCode, string Output)> VerifyInProcessAsync(params string[] args)
    {
        using var output = new StringWriter();
        var exitCode = await CertificateCommands.VerifyAsync(
            CommandArguments.Parse(args, CertificateCommands.VerifyFlags, positional: true), new FakeTimeProvider(Now), output);
        return (exitCode, output.ToString());
    }

    private string WritePem(string name, X509Certificate2 certificate) => WriteText(name, certificate.ExportCertificatePem());

    private string WriteDer(string name, X509Certificate2 certificate) => WriteFile(name, certificate.RawData);

    private string WriteCrlPem(string name, byte[] crl) => WriteText(name, new string(System.Security.Cryptography.PemEncoding.Write("X509 CRL", crl)));

    private string WriteText(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string WriteFile(string name, byte[] bytes)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
