using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EIdentity.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using static EIdentity.Tests.SignIn.SignInSteps;

namespace EIdentity.Tests.Cli;

/// <summary>
/// The support person's and security officer's verbs (<c>passkey ...</c>, <c>audit verify</c>), run as
/// the real server executable against a migrated database, as on a server node.
/// </summary>
public sealed partial class PasskeyCommandTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>, IDisposable
{
    private const string RpId = "localhost";
    private const string Origin = "https://localhost";
    private const string LevelHigh = "urn:eidentity:loa:high";
    private const string LevelSubstantial = "urn:eidentity:loa:substantial";
    private const string ModelName = "Khóa Bộ Công an FIDO2 (lô 2026)";
    private const string Revoked = "Khóa này đã bị thu hồi, không thể dùng hay đăng ký lại. Hãy dùng một khóa khác.";

    private static readonly Guid ModelAaguid = new("3e1b6c2a-5d4f-4a7b-8c9d-0e1f2a3b4c5d");

    private readonly string _folder = Directory.CreateTempSubdirectory("eidentity-cli-passkeys-").FullName;
    private readonly TestCertificateAuthority _vendorRoot = TestCertificateAuthority.CreateRoot("CN=EIdentity Test Key Vendor Root, O=EIdentity Tests, C=VN");
    private readonly TestCertificateAuthority _forgerRoot = TestCertificateAuthority.CreateRoot("CN=EIdentity Test Key Vendor Root, O=Forger, C=VN");

    public void Dispose()
    {
        _vendorRoot.Dispose();
        _forgerRoot.Dispose();
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
    public async Task Help_lists_the_passkey_and_audit_verbs()
    {
        var help = await RunAsync("help");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("passkey list --national-id <12 digits>", help.Output, StringComparison.Ordinal);
        Assert.Contains("passkey revoke --credential-id <base64url>", help.Output, StringComparison.Ordinal);
        Assert.Contains("passkey verify-registration --rp-id <id> --origin <origin> --challenge <base64url>", help.Output, StringComparison.Ordinal);
        Assert.Contains("[--any-authenticator]", help.Output, StringComparison.Ordinal);
        Assert.Contains("passkey metadata [--reload]", help.Output, StringComparison.Ordinal);
        Assert.Contains("audit verify", help.Output, StringComparison.Ordinal);
    }

    // ---- passkey verify-registration -------------------------------------------------------------

    [Fact]
    public async Task Registration_with_none_attestation_is_accepted_and_explained()
    {
        using var key = new SoftwareAuthenticator(Origin);
        var challenge = NewChallenge();
        var response = WriteResponse(key.Register(CreationOptions(challenge)));

        var run = await VerifyRegistrationAsync(challenge, response);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Verdict: ACCEPTED", run.Output, StringComparison.Ordinal);
        Assert.Contains("Format: none", run.Output, StringComparison.Ordinal);
        Assert.Contains($"AAGUID: {Guid.Empty}", run.Output, StringComparison.Ordinal);
        Assert.Contains("Attestation type: None", run.Output, StringComparison.Ordinal);
        Assert.Contains($"Level: {LevelSubstantial}", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Reason:", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registration_made_for_another_challenge_is_refused_because_of_the_challenge()
    {
        using var key = new SoftwareAuthenticator(Origin);
        var response = WriteResponse(key.Register(CreationOptions(NewChallenge())));

        var run = await VerifyRegistrationAsync(NewChallenge(), response);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("Verdict: REFUSED", run.Output, StringComparison.Ordinal);
        Assert.Contains("challenge", ReasonOf(run), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("ACCEPTED", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registration_made_on_another_origin_is_refused()
    {
        using var key = new SoftwareAuthenticator("https://eid-dang-nhap.example");
        var challenge = NewChallenge();
        var response = WriteResponse(key.Register(CreationOptions(challenge)));

        var run = await VerifyRegistrationAsync(challenge, response);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("Verdict: REFUSED", run.Output, StringComparison.Ordinal);
        Assert.Contains("origin", ReasonOf(run), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Allow_listed_model_whose_attestation_chains_to_another_root_is_refused_with_the_chain_reason()
    {
        var allowList = WriteAllowList(hardware: true);
        var (challenge, response) = RegisterAttested(_forgerRoot);

        var run = await VerifyRegistrationAsync(challenge, response, allowList);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("Verdict: REFUSED", run.Output, StringComparison.Ordinal);
        Assert.Contains("Format: packed", run.Output, StringComparison.Ordinal);
        Assert.Contains($"AAGUID: {ModelAaguid}", run.Output, StringComparison.Ordinal);
        Assert.Contains($"Model: {ModelName}", run.Output, StringComparison.Ordinal);
        Assert.Equal("The attestation certificate does not chain to a root trusted for this authenticator model.", ReasonOf(run));
        Assert.DoesNotContain("Level:", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Any_authenticator_judges_the_signature_alone_and_accepts_a_well_signed_key_of_a_foreign_root()
    {
        var allowList = WriteAllowList(hardware: true);
        var (challenge, response) = RegisterAttested(_forgerRoot);

        var run = await VerifyRegistrationAsync(challenge, response, allowList, "--any-authenticator");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Verdict: ACCEPTED", run.Output, StringComparison.Ordinal);
        Assert.Contains("(any authenticator: allow-list, metadata and trust chain not consulted)", run.Output, StringComparison.Ordinal);
        Assert.Contains("Attestation type: Basic", run.Output, StringComparison.Ordinal);
        Assert.Contains("Trust: not established", run.Output, StringComparison.Ordinal);
        // Without the chain nothing vouches for the hardware: never high.
        Assert.Contains($"Level: {LevelSubstantial}", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tampered_attestation_signature_is_refused_even_with_any_authenticator()
    {
        var allowList = WriteAllowList(hardware: true);
        var (challenge, response) = RegisterAttested(_vendorRoot, tamperSignature: true);

        var strict = await VerifyRegistrationAsync(challenge, response, allowList);
        var lenient = await VerifyRegistrationAsync(challenge, response, allowList, "--any-authenticator");

        foreach (var run in new[] { strict, lenient })
        {
            Assert.True(run.ExitCode == 1, run.ToString());
            Assert.Contains("Verdict: REFUSED", run.Output, StringComparison.Ordinal);
            Assert.Contains("signature", ReasonOf(run), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Correctly_chained_hardware_model_is_accepted_at_the_high_level()
    {
        var allowList = WriteAllowList(hardware: true);
        var (challenge, response) = RegisterAttested(_vendorRoot);

        var run = await VerifyRegistrationAsync(challenge, response, allowList);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Verdict: ACCEPTED", run.Output, StringComparison.Ordinal);
        Assert.Contains("Format: packed", run.Output, StringComparison.Ordinal);
        Assert.Contains($"AAGUID: {ModelAaguid}", run.Output, StringComparison.Ordinal);
        Assert.Contains("Attestation type: Basic", run.Output, StringComparison.Ordinal);
        Assert.Contains($"Model: {ModelName}", run.Output, StringComparison.Ordinal);
        Assert.Contains("Trust: the attestation chains to a trusted root of this model", run.Output, StringComparison.Ordinal);
        Assert.Contains($"Level: {LevelHigh}", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Correctly_chained_model_that_does_not_keep_keys_in_hardware_stays_at_substantial_and_says_why()
    {
        var allowList = WriteAllowList(hardware: false);
        var (challenge, response) = RegisterAttested(_vendorRoot);

        var run = await VerifyRegistrationAsync(challenge, response, allowList);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"Level: {LevelSubstantial}", run.Output, StringComparison.Ordinal);
        Assert.Contains("Note: The model does not keep keys in hardware.", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_registration_with_an_unreadable_response_file_says_so_without_a_stack_trace()
    {
        var run = await RunAsync("passkey", "verify-registration", "--rp-id", RpId, "--origin", Origin,
            "--challenge", NewChallenge(), "--response", Path.Combine(_folder, "missing.json"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--response: cannot read a JSON document from", run.Error, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackFrame(), run.Output + run.Error);
    }

    // ---- passkey list / revoke -------------------------------------------------------------------

    [Fact]
    public async Task Revoked_key_stops_signing_in_ends_its_session_and_cannot_be_registered_again()
    {
        await using var server = ServerOnTheSameDatabase();
        var nationalId = NewNationalId();
        var (personId, code) = await server.CreateCitizenAsync(nationalId, "Lê Thị Mất Khóa");
        using var citizen = new Citizen(server);
        await citizen.ActivateAsync(code);
        var credentialId = Assert.Single(citizen.Key.CredentialIds);

        var list = await RunAsync("passkey", "list", "--national-id", nationalId);
        var revoke = await RunAsync("passkey", "revoke", "--credential-id", credentialId, "--reason", "lost", "--officer", "can-bo-01");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains($"Identity {personId}: 1 key(s)", list.Output, StringComparison.Ordinal);
        Assert.Contains(credentialId, list.Output, StringComparison.Ordinal);
        Assert.Contains("status: Active", list.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(nationalId, list.Output + list.Error, StringComparison.Ordinal);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Contains("Credential revoked", revoke.Output, StringComparison.Ordinal);

        // The key no longer signs in, and the session it opened at activation has ended.
        await ExpectProblemAsync(await citizen.SignInAsync(), HttpStatusCode.BadRequest, Revoked);
        Assert.Null(await SignedInNameAsync(citizen.Browser));

        // A new activation letter does not bring the revoked id back.
        var letter = await server.IssueActivationAsync(personId);
        citizen.Key.NextCredentialId = credentialId;
        await ExpectProblemAsync(await citizen.EnrolAsync(letter), HttpStatusCode.BadRequest, Revoked);
    }

    [Fact]
    public async Task Verify_registration_refuses_the_id_of_a_revoked_key()
    {
        await using var server = ServerOnTheSameDatabase();
        var (_, code) = await server.CreateCitizenAsync(NewNationalId(), "Vũ Văn Thu Hồi");
        using var citizen = new Citizen(server);
        await citizen.ActivateAsync(code);
        var credentialId = Assert.Single(citizen.Key.CredentialIds);
        var revoke = await RunAsync("passkey", "revoke", "--credential-id", credentialId);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());

        citizen.Key.NextCredentialId = credentialId;
        var challenge = NewChallenge();
        var response = WriteResponse(citizen.Key.Register(CreationOptions(challenge)));
        var run = await VerifyRegistrationAsync(challenge, response);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("Verdict: REFUSED", run.Output, StringComparison.Ordinal);
        Assert.Contains("revoked", ReasonOf(run), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoking_an_unknown_credential_id_fails_with_a_readable_error()
    {
        var unknown = await RunAsync("passkey", "revoke", "--credential-id", Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)));
        var malformed = await RunAsync("passkey", "revoke", "--credential-id", "not base64url!");

        foreach (var run in new[] { unknown, malformed })
        {
            Assert.True(run.ExitCode == 1, run.ToString());
            Assert.Contains("error: no credential has this id", run.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("revoked", run.Output, StringComparison.Ordinal);
            Assert.DoesNotMatch(StackFrame(), run.Output + run.Error);
        }
    }

    [Fact]
    public async Task Listing_the_keys_of_an_unknown_national_id_fails_with_a_readable_error()
    {
        var nationalId = NewNationalId();

        var run = await RunAsync("passkey", "list", "--national-id", nationalId);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("error: no identity has this national ID number.", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(nationalId, run.Output + run.Error, StringComparison.Ordinal);
    }

    // ---- audit verify ----------------------------------------------------------------------------

    [Fact]
    public async Task Audit_verify_finds_the_log_intact_and_then_names_the_row_that_was_changed()
    {
        await using var fresh = await FreshDatabaseAsync();
        await EnrolCitizensAsync(fresh.Directory, count: 3);
        var intact = await RunServerAsync(fresh.Directory, "audit", "verify");

        // Someone with database access rewrites the second row.
        await ExecuteSqlAsync(fresh.Directory, "UPDATE AuditLog SET Detail = 'format=packed type=Basic trusted=True level=urn:eidentity:loa:high' WHERE Sequence = 2");
        var changed = await RunServerAsync(fresh.Directory, "audit", "verify");

        Assert.True(intact.ExitCode == 0, intact.ToString());
        // Each enrolment writes two rows: the key enrolled and the session it started.
        Assert.Contains("Audit log intact: 6 row(s) chained correctly.", intact.Output, StringComparison.Ordinal);
        Assert.True(changed.ExitCode == 1, changed.ToString());
        Assert.Contains("Audit log BROKEN at row 2", changed.Output, StringComparison.Ordinal);
        Assert.Contains("changed after it was written", changed.Output, StringComparison.Ordinal);
        Assert.Contains("1 row(s) before it are intact.", changed.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_verify_notices_a_rewritten_event_type()
    {
        await using var fresh = await FreshDatabaseAsync();
        await EnrolCitizensAsync(fresh.Directory, count: 2);
        var intact = await RunServerAsync(fresh.Directory, "audit", "verify");

        await ExecuteSqlAsync(fresh.Directory, "UPDATE AuditLog SET Type = 'passkey.removed' WHERE Sequence = 1");
        var run = await RunServerAsync(fresh.Directory, "audit", "verify");

        Assert.True(intact.ExitCode == 0, intact.ToString());
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("Audit log BROKEN at row 1", run.Output, StringComparison.Ordinal);
        Assert.Contains("0 row(s) before it are intact.", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_verify_notices_a_deleted_middle_row()
    {
        await using var fresh = await FreshDatabaseAsync();
        await EnrolCitizensAsync(fresh.Directory, count: 3);

        var intact = await RunServerAsync(fresh.Directory, "audit", "verify");

        await ExecuteSqlAsync(fresh.Directory, "DELETE FROM AuditLog WHERE Sequence = 2");
        var run = await RunServerAsync(fresh.Directory, "audit", "verify");

        Assert.True(intact.ExitCode == 0, intact.ToString());
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("Audit log BROKEN at row 2", run.Output, StringComparison.Ordinal);
        Assert.Contains("Row 2 is missing", run.Output, StringComparison.Ordinal);
    }

    // ---- passkey metadata ------------------------------------------------------------------------

    [Fact]
    public async Task Metadata_lists_the_allow_listed_models_and_exits_0_without_problems()
    {
        var allowList = WriteAllowList(hardware: true);

        var run = await RunAsync(AllowListEnvironment(allowList), "passkey", "metadata");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("1 model(s)", run.Output, StringComparison.Ordinal);
        Assert.Contains($"{ModelAaguid}  {ModelName}  [AllowList, hardware]", run.Output, StringComparison.Ordinal);
        Assert.Contains("Registered keys reviewed:", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Problem:", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metadata_with_an_allow_list_that_is_not_json_exits_1_and_prints_the_problem()
    {
        var allowList = Path.Combine(_folder, "broken", "allow-list.json");
        Directory.CreateDirectory(Path.GetDirectoryName(allowList)!);
        await File.WriteAllTextAsync(allowList, """{ "authenticators": [ { "aaguid": """, TestContext.Current.CancellationToken);

        var run = await RunAsync(AllowListEnvironment(allowList), "passkey", "metadata", "--reload");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Matches(@"(?m)^Problem: Allow-list .*allow-list\.json", run.Output);
        Assert.Contains("0 model(s)", run.Output, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackFrame(), run.Output + run.Error);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private Task<CommandRun> RunAsync(params string[] args) => RunAsync(null, args);

    private Task<CommandRun> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        ServerCommandTests.RunServerAsync(database.Directory, migrateOnStartup: false, args, environment);

    private static Task<CommandRun> RunServerAsync(string directory, params string[] args) =>
        ServerCommandTests.RunServerAsync(directory, migrateOnStartup: false, args);

    private Task<CommandRun> VerifyRegistrationAsync(string challenge, string responseFile, string? allowList = null, params string[] flags) =>
        RunAsync(allowList is null ? null : AllowListEnvironment(allowList),
            ["passkey", "verify-registration", "--rp-id", RpId, "--origin", Origin, "--challenge", challenge, "--response", responseFile, .. flags]);

    private static Dictionary<string, string> AllowListEnvironment(string allowList) => new() { ["Passkeys__Metadata__AllowListPath"] = allowList };

    private EIdentityServerFactory ServerOnTheSameDatabase() => new(overrides: new() { ["Database:DataDirectory"] = database.Directory });

    private static string NewChallenge() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    // What the server's registration options look like, trimmed to what the authenticator reads.
    private static string CreationOptions(string challenge) => JsonSerializer.Serialize(new
    {
        challenge,
        rp = new { id = RpId, name = "EIdentity" },
        user = new { id = Base64Url.EncodeToString(Guid.NewGuid().ToByteArray()), name = "0792******34", displayName = "Nguyễn Văn An" },
        pubKeyCredParams = new[] { new { type = "public-key", alg = -7 } },
    });

    private string WriteResponse(string registrationJson)
    {
        var path = Path.Combine(_folder, $"response-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, registrationJson);
        return path;
    }

    /// <summary>A registration by a key of the allow-listed model, attested by an intermediate of <paramref name="root"/> (in x5c).</summary>
    private (string Challenge, string ResponseFile) RegisterAttested(TestCertificateAuthority root, bool tamperSignature = false)
    {
        using var intermediate = root.CreateIntermediate("CN=EIdentity Test Key Attestation CA, O=EIdentity Tests, C=VN");
        var attestation = PackedTestAttestation.WithCertificate(intermediate);
        attestation.IncludeIssuerCertificate = true;
        attestation.TamperSignature = tamperSignature;
        using var key = new SoftwareAuthenticator(Origin) { Aaguid = ModelAaguid, Attestation = attestation };
        var challenge = NewChallenge();
        return (challenge, WriteResponse(key.Register(CreationOptions(challenge))));
    }

    /// <summary>An allow-list naming the model by its AAGUID with <see cref="_vendorRoot"/> as its only root.</summary>
    private string WriteAllowList(bool hardware)
    {
        var folder = Path.Combine(_folder, "authenticators-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(folder, "roots"));
        File.WriteAllText(Path.Combine(folder, "roots", "vendor-root.pem"), _vendorRoot.Certificate.ExportCertificatePem());
        var path = Path.Combine(folder, "allow-list.json");
        var list = new JsonObject
        {
            ["$comment"] = "Keys procured for the tests.",
            ["authenticators"] = new JsonArray(new JsonObject
            {
                ["aaguid"] = ModelAaguid.ToString(),
                ["description"] = ModelName,
                ["attestationRootCertificates"] = new JsonArray("roots/vendor-root.pem"),
                ["hardware"] = hardware,
            }),
        };
        File.WriteAllText(path, list.ToJsonString());
        return path;
    }

    private static string ReasonOf(CommandRun run)
    {
        var match = ReasonLine().Match(run.Output);
        Assert.True(match.Success, "No reason is printed:\n" + run);
        return match.Groups["reason"].Value.TrimEnd();
    }

    private static async Task<MigratedDatabase> FreshDatabaseAsync()
    {
        var fresh = new MigratedDatabase();
        await fresh.InitializeAsync();
        Assert.True(fresh.Migration.ExitCode == 0, fresh.Migration.ToString());
        return fresh;
    }

    /// <summary>Citizens activate a key each on an in-process server over <paramref name="directory"/>; each enrolment is audited.</summary>
    private static async Task EnrolCitizensAsync(string directory, int count)
    {
        await using var server = new EIdentityServerFactory(overrides: new() { ["Database:DataDirectory"] = directory });
        for (var i = 0; i < count; i++)
        {
            var (_, code) = await server.CreateCitizenAsync(NewNationalId());
            using var citizen = new Citizen(server);
            await citizen.ActivateAsync(code);
        }
    }

    private static async Task ExecuteSqlAsync(string directory, string sql)
    {
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(directory, "eidentity.db")}"))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            Assert.Equal(1, await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
        }

        SqliteConnection.ClearAllPools();
    }

    [GeneratedRegex(@"^Reason: (?<reason>.*)$", RegexOptions.Multiline)]
    private static partial Regex ReasonLine();

    [GeneratedRegex(@"^\s+at \S+\(", RegexOptions.Multiline)]
    private static partial Regex StackFrame();
}
