using System.Net;
using System.Net.Http.Json;
using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Credentials.Passkeys.Attestation;
using EIdentity.Server.Identities;
using EIdentity.Server.Sessions;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;
using Microsoft.Extensions.DependencyInjection;
using static EIdentity.Tests.Credentials.Passkeys.KeyCeremonies;

namespace EIdentity.Tests.Credentials.Passkeys;

/// <summary>
/// The authenticator policy end to end: which keys register, at which level, and what portals then
/// see in the ID token (docs/passkey-policy.md).
/// </summary>
public sealed class AuthenticatorPolicyTests(PolicyServer policy) : IClassFixture<PolicyServer>
{
    private static readonly Dictionary<string, string?> AskForHigh = new() { ["acr_values"] = AuthenticationMethods.LoaHigh };

    private EIdentityServerFactory Server => policy.Server;

    [Fact]
    public async Task Key_without_attestation_registers_at_substantial_and_the_id_token_says_so()
    {
        policy.AllowModels();
        using var citizen = await EnrolAsync(attestation: null);

        var record = await policy.CredentialAsync(citizen.Key.CredentialIds.Single());
        var claims = TokenResponse.Claims((await OidcTestKit.CodeFlowAsync(Server, citizen, TestPortals.PortalA)).IdToken);

        Assert.Equal(("none", AttestationType.None, false, AuthenticationMethods.LoaSubstantial),
            (record.Format, record.AttestationType, record.AttestationTrusted, record.Level));
        Assert.Equal(AuthenticationMethods.LoaSubstantial, claims.GetProperty("acr").GetString());
        Assert.Equal(["pop", "user", "mfa"], OidcTestKit.Strings(claims.GetProperty("amr")));
    }

    [Fact]
    public async Task Hardware_key_of_an_allowed_model_reaches_high_and_the_id_token_carries_hwk()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(aaguid, "Khóa FIDO2 thử nghiệm", [policy.AttestationRoot.Certificate]));
        using var citizen = await EnrolAsync(PackedTestAttestation.WithCertificate(policy.AttestationRoot), aaguid);

        var record = await policy.CredentialAsync(citizen.Key.CredentialIds.Single());
        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid", AskForHigh);
        using var backChannel = new PortalBackChannel(Server, TestPortals.PortalA);
        var claims = TokenResponse.Claims((await backChannel.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier)).IdToken);

        Assert.Equal(("packed", AttestationType.Basic, true, "Khóa FIDO2 thử nghiệm", aaguid, AuthenticationMethods.LoaHigh),
            (record.Format, record.AttestationType, record.AttestationTrusted, record.Model, record.Aaguid, record.Level));
        Assert.Equal(AuthenticationMethods.LoaHigh, claims.GetProperty("acr").GetString());
        Assert.Equal(["hwk", "user", "mfa"], OidcTestKit.Strings(claims.GetProperty("amr")));
    }

    [Fact]
    public async Task Allowed_model_that_does_not_keep_keys_in_hardware_stays_at_substantial()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(aaguid, "Software authenticator", [policy.AttestationRoot.Certificate], Hardware: false));
        using var citizen = await EnrolAsync(PackedTestAttestation.WithCertificate(policy.AttestationRoot), aaguid);

        var record = await policy.CredentialAsync(citizen.Key.CredentialIds.Single());

        Assert.True(record.AttestationTrusted);
        Assert.Equal(AuthenticationMethods.LoaSubstantial, record.Level);
    }

    [Fact]
    public async Task Self_attested_key_naming_an_allowed_model_cannot_reach_high()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(aaguid, "Khóa FIDO2 thử nghiệm", [policy.AttestationRoot.Certificate]));
        using var citizen = await EnrolAsync(PackedTestAttestation.Self(), aaguid);

        var record = await policy.CredentialAsync(citizen.Key.CredentialIds.Single());

        Assert.Equal((AttestationType.Self, false, AuthenticationMethods.LoaSubstantial), (record.AttestationType, record.AttestationTrusted, record.Level));
    }

    [Fact]
    public async Task Portal_asking_for_high_gets_unmet_authentication_requirements_when_the_citizen_has_no_high_key()
    {
        policy.AllowModels();
        using var citizen = await EnrolAsync(attestation: null);

        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid", AskForHigh);

        Assert.Equal("unmet_authentication_requirements", attempt.Error);
    }

    [Fact]
    public async Task Citizen_signed_in_with_a_substantial_key_is_asked_for_the_high_key_when_a_portal_needs_high()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(aaguid, "Khóa FIDO2 thử nghiệm", [policy.AttestationRoot.Certificate]));
        using var citizen = await EnrolAsync(PackedTestAttestation.WithCertificate(policy.AttestationRoot), aaguid);
        using var phone = new SoftwareAuthenticator(EIdentityServerFactory.Origin);
        await Expect.Status(HttpStatusCode.OK, await AddSpareKeyAsync(citizen, phone));
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, phone));

        var stepUp = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid", AskForHigh);
        Assert.True(stepUp.WentToLogin, $"Expected to be asked to sign in again, got {stepUp.Response.StatusCode} {stepUp.Location}");
        var login = await citizen.Browser.GetStringAsync(stepUp.Location);
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, citizen.Key));
        var afterStepUp = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid", AskForHigh);

        Assert.Contains("id=\"high-level-requested\"", login, StringComparison.Ordinal);
        Assert.True(afterStepUp.CallbackParameters.ContainsKey("code"), $"No code after the step-up: {afterStepUp.Location}");
    }

    [Fact]
    public async Task Step_up_that_ends_with_the_substantial_key_again_tells_the_portal_instead_of_asking_forever()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(aaguid, "Khóa FIDO2 thử nghiệm", [policy.AttestationRoot.Certificate]));
        using var citizen = await EnrolAsync(PackedTestAttestation.WithCertificate(policy.AttestationRoot), aaguid);
        using var phone = new SoftwareAuthenticator(EIdentityServerFactory.Origin);
        await Expect.Status(HttpStatusCode.OK, await AddSpareKeyAsync(citizen, phone));
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, phone));
        Assert.True((await citizen.AuthorizeAsync(TestPortals.PortalA, "openid", AskForHigh)).WentToLogin);

        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, phone));
        var second = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid", AskForHigh);

        Assert.Equal("unmet_authentication_requirements", second.Error);
    }

    [Fact]
    public async Task Key_claiming_an_allowed_model_but_chaining_to_another_root_is_refused()
    {
        var aaguid = Guid.NewGuid();
        using var impostor = TestCertificateAuthority.CreateRoot("CN=Impostor Vendor Root");
        policy.AllowModels(new AllowedModel(aaguid, "Khóa FIDO2 thử nghiệm", [policy.AttestationRoot.Certificate]));

        var (response, nationalId) = await TryEnrolAsync(PackedTestAttestation.WithCertificate(impostor), aaguid);

        await Expect.Status(HttpStatusCode.BadRequest, response);
        var (detail, reason) = await ProblemAsync(response);
        Assert.Contains("không được chấp nhận", detail, StringComparison.Ordinal);
        Assert.Contains("does not chain", reason, StringComparison.Ordinal);
        Assert.Equal(0, await KeysOfAsync(nationalId));
    }

    [Fact]
    public async Task Attested_registration_made_for_another_relying_party_is_refused()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(aaguid, "Khóa FIDO2 thử nghiệm", [policy.AttestationRoot.Certificate]));
        var nationalId = OidcTestKit.NewNationalId();
        var (_, activation) = await Server.CreateCitizenAsync(nationalId);
        using var citizen = new Citizen(Server);
        using var phished = new SoftwareAuthenticator(EIdentityServerFactory.Origin, rpId: "eid-gov.example")
        {
            Attestation = PackedTestAttestation.WithCertificate(policy.AttestationRoot),
            Aaguid = aaguid,
        };

        var options = await citizen.Browser.PostAsJsonAsync("/api/passkeys/registration/options", new { activationCode = activation });
        var started = await options.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        var body = System.Text.Json.JsonSerializer.Serialize(new
        {
            ceremonyId = started.GetProperty("ceremonyId").GetString(),
            credential = System.Text.Json.JsonDocument.Parse(phished.Register(started.GetProperty("options").GetRawText())).RootElement,
        });
        var response = await citizen.Browser.PostAsync("/api/passkeys/registration", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await Expect.Status(HttpStatusCode.BadRequest, response);
        Assert.Equal(0, await KeysOfAsync(nationalId));
    }

    [Fact]
    public async Task Attested_registration_signed_over_another_challenge_is_refused()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(aaguid, "Khóa FIDO2 thử nghiệm", [policy.AttestationRoot.Certificate]));
        var nationalId = OidcTestKit.NewNationalId();
        var (_, activation) = await Server.CreateCitizenAsync(nationalId);
        using var citizen = new Citizen(Server);
        citizen.Key.Attestation = PackedTestAttestation.WithCertificate(policy.AttestationRoot);
        citizen.Key.Aaguid = aaguid;
        citizen.Key.OverrideChallenge = "c3RhbGUtY2hhbGxlbmdlLWZyb20tYW4tZWFybGllci1jZXJlbW9ueQ";

        var response = await citizen.EnrolAsync(activation);

        await Expect.Status(HttpStatusCode.BadRequest, response);
        Assert.Equal(0, await KeysOfAsync(nationalId));
    }

    [Fact]
    public async Task Key_with_an_expired_attestation_certificate_is_refused()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(aaguid, "Khóa FIDO2 thử nghiệm", [policy.AttestationRoot.Certificate]));
        var attestation = PackedTestAttestation.WithCertificate(policy.AttestationRoot);
        attestation.CertificateValidity = (DateTimeOffset.UtcNow.AddYears(-3), DateTimeOffset.UtcNow.AddDays(-2));

        var (response, _) = await TryEnrolAsync(attestation, aaguid);

        await Expect.Status(HttpStatusCode.BadRequest, response);
        Assert.Contains("expired", (await ProblemAsync(response)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_with_a_forged_attestation_signature_is_refused()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(aaguid, "Khóa FIDO2 thử nghiệm", [policy.AttestationRoot.Certificate]));
        var attestation = PackedTestAttestation.WithCertificate(policy.AttestationRoot);
        attestation.TamperSignature = true;

        var (response, _) = await TryEnrolAsync(attestation, aaguid);

        await Expect.Status(HttpStatusCode.BadRequest, response);
        Assert.Contains("signature", (await ProblemAsync(response)).Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("REVOKED")]
    [InlineData("USER_VERIFICATION_BYPASS")]
    [InlineData("ATTESTATION_KEY_COMPROMISE")]
    [InlineData("USER_KEY_REMOTE_COMPROMISE")]
    public async Task Model_with_a_compromised_status_in_the_metadata_cannot_register(string status)
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels();
        policy.PublishBlob(new Mds3Entry
        {
            Aaguid = aaguid,
            Description = "Khóa bị thu hồi",
            AttestationRootCertificates = [policy.AttestationRoot.Certificate],
            StatusReports = [new("FIDO_CERTIFIED_L1", new DateOnly(2024, 1, 1)), new(status, new DateOnly(2026, 6, 1))],
        });

        var (response, nationalId) = await TryEnrolAsync(PackedTestAttestation.WithCertificate(policy.AttestationRoot), aaguid);

        await Expect.Status(HttpStatusCode.BadRequest, response);
        Assert.Contains(status, (await ProblemAsync(response)).Reason, StringComparison.Ordinal);
        Assert.Equal(0, await KeysOfAsync(nationalId));
    }

    [Fact]
    public async Task Compromise_report_is_not_cleared_by_a_later_certification()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels();
        policy.PublishBlob(new Mds3Entry
        {
            Aaguid = aaguid,
            Description = "Khóa có lỗi vượt xác thực người dùng",
            AttestationRootCertificates = [policy.AttestationRoot.Certificate],
            StatusReports = [new("USER_VERIFICATION_BYPASS", new DateOnly(2025, 3, 1)), new("FIDO_CERTIFIED_L1", new DateOnly(2026, 5, 1))],
        });

        var (response, _) = await TryEnrolAsync(PackedTestAttestation.WithCertificate(policy.AttestationRoot), aaguid);

        await Expect.Status(HttpStatusCode.BadRequest, response);
        Assert.Contains("USER_VERIFICATION_BYPASS", (await ProblemAsync(response)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Certified_hardware_model_from_the_metadata_service_reaches_high()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels();
        policy.PublishBlob(new Mds3Entry { Aaguid = aaguid, Description = "MDS certified key", AttestationRootCertificates = [policy.AttestationRoot.Certificate] });

        using var citizen = await EnrolAsync(PackedTestAttestation.WithCertificate(policy.AttestationRoot), aaguid);

        var record = await policy.CredentialAsync(citizen.Key.CredentialIds.Single());
        Assert.Equal(("MDS certified key", AuthenticationMethods.LoaHigh), (record.Model, record.Level));
    }

    [Fact]
    public async Task Stale_metadata_no_longer_vouches_for_high()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels();
        policy.PublishStaleBlob(new Mds3Entry { Aaguid = aaguid, Description = "MDS certified key", AttestationRootCertificates = [policy.AttestationRoot.Certificate] });

        using var citizen = await EnrolAsync(PackedTestAttestation.WithCertificate(policy.AttestationRoot), aaguid);

        var record = await policy.CredentialAsync(citizen.Key.CredentialIds.Single());
        Assert.Equal(("MDS certified key", true, AuthenticationMethods.LoaSubstantial), (record.Model, record.AttestationTrusted, record.Level));
    }

    [Fact]
    public async Task Keys_of_a_model_later_reported_compromised_are_suspended_and_the_change_is_audited()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels();
        var model = new Mds3Entry { Aaguid = aaguid, Description = "Khóa sẽ bị lộ", AttestationRootCertificates = [policy.AttestationRoot.Certificate] };
        policy.PublishBlob(model);
        var (personId, citizen) = await EnrolWithIdAsync(PackedTestAttestation.WithCertificate(policy.AttestationRoot), aaguid);
        using var _ = citizen;

        policy.PublishBlob(model with { StatusReports = [new("USER_KEY_REMOTE_COMPROMISE", new DateOnly(2026, 11, 1))] });
        var review = await policy.ReviewAsync();
        var signIn = await SignInWithAsync(citizen, citizen.Key);
        var record = await policy.CredentialAsync(citizen.Key.CredentialIds.Single());

        Assert.Equal(1, review.Suspended);
        Assert.Equal((PasskeyStatus.Suspended, "model-status:USER_KEY_REMOTE_COMPROMISE"), (record.Status, record.StatusReason));
        await Expect.Status(HttpStatusCode.BadRequest, signIn);
        Assert.Contains("tạm khóa", (await ProblemAsync(signIn)).Detail, StringComparison.Ordinal);
        Assert.Contains(await policy.AuditOfAsync(personId), e => e.Type == "passkey.suspended" && e.Detail == "model-status:USER_KEY_REMOTE_COMPROMISE");
        Assert.Equal(0, (await policy.ReviewAsync()).Suspended);
    }

    [Fact]
    public async Task Keys_of_a_model_whose_attestation_key_leaked_are_downgraded_to_substantial()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels();
        var model = new Mds3Entry { Aaguid = aaguid, Description = "Khóa có khóa chứng thực bị lộ", AttestationRootCertificates = [policy.AttestationRoot.Certificate] };
        policy.PublishBlob(model);
        using var citizen = await EnrolAsync(PackedTestAttestation.WithCertificate(policy.AttestationRoot), aaguid);

        policy.PublishBlob(model with { StatusReports = [new("ATTESTATION_KEY_COMPROMISE", new DateOnly(2026, 11, 1))] });
        var review = await policy.ReviewAsync();
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, citizen.Key));
        var claims = TokenResponse.Claims((await OidcTestKit.CodeFlowAsync(Server, citizen, TestPortals.PortalA, "openid")).IdToken);

        // Keys of models earlier tests listed are reviewed too (and lose high: their models are gone).
        Assert.True(review.Downgraded >= 1, "Nothing was downgraded.");
        Assert.Equal(AuthenticationMethods.LoaSubstantial, (await policy.CredentialAsync(citizen.Key.CredentialIds.Single())).Level);
        Assert.Equal(AuthenticationMethods.LoaSubstantial, claims.GetProperty("acr").GetString());
    }

    [Fact]
    public async Task Certificate_without_the_aaguid_under_a_root_two_models_share_cannot_prove_its_model()
    {
        var claimed = Guid.NewGuid();
        policy.AllowModels(
            new AllowedModel(claimed, "Khóa cao cấp", [policy.AttestationRoot.Certificate]),
            new AllowedModel(Guid.NewGuid(), "Khóa phổ thông cùng hãng", [policy.AttestationRoot.Certificate]));
        var attestation = PackedTestAttestation.WithCertificate(policy.AttestationRoot);
        attestation.IncludeAaguidExtension = false;

        using var citizen = await EnrolAsync(attestation, claimed);

        var record = await policy.CredentialAsync(citizen.Key.CredentialIds.Single());
        Assert.Equal((true, AuthenticationMethods.LoaSubstantial), (record.AttestationTrusted, record.Level));
    }

    [Fact]
    public async Task Certificate_without_the_aaguid_under_a_root_only_its_model_trusts_reaches_high()
    {
        var claimed = Guid.NewGuid();
        policy.PublishBlob();
        policy.AllowModels(new AllowedModel(claimed, "Khóa riêng một hãng", [policy.AttestationRoot.Certificate]));
        var attestation = PackedTestAttestation.WithCertificate(policy.AttestationRoot);
        attestation.IncludeAaguidExtension = false;

        using var citizen = await EnrolAsync(attestation, claimed);

        Assert.Equal(AuthenticationMethods.LoaHigh, (await policy.CredentialAsync(citizen.Key.CredentialIds.Single())).Level);
    }

    [Fact]
    public async Task U2f_key_claiming_the_aaguid_of_an_allowed_hardware_model_stays_at_substantial()
    {
        var claimed = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(claimed, "Khóa FIDO2 thử nghiệm", [policy.AttestationRoot.Certificate]));

        // fido-u2f signs neither the AAGUID nor the flags: both are the client's word only.
        using var citizen = await EnrolAsync(new FidoU2fTestAttestation(policy.AttestationRoot), claimed);

        var record = await policy.CredentialAsync(citizen.Key.CredentialIds.Single());
        Assert.Equal(("fido-u2f", AuthenticationMethods.LoaSubstantial), (record.Format, record.Level));
        Assert.Null(record.Model);
    }

    [Fact]
    public async Task Attestation_certificate_listed_under_a_revoked_model_is_refused_whatever_model_it_claims()
    {
        using var leakedKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var keyIdentifier = KeyIdentifierOf(leakedKey);
        var clean = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(clean, "Khóa sạch", [policy.AttestationRoot.Certificate]));
        policy.PublishBlob(new Mds3Entry
        {
            AttestationCertificateKeyIdentifiers = [keyIdentifier],
            Description = "Khóa U2F có khóa chứng thực bị lộ",
            AttestationRootCertificates = [policy.AttestationRoot.Certificate],
            StatusReports = [new("ATTESTATION_KEY_COMPROMISE", new DateOnly(2026, 1, 1))],
        });
        var attestation = PackedTestAttestation.WithCertificate(policy.AttestationRoot);
        attestation.AttestationKey = leakedKey;

        var (response, _) = await TryEnrolAsync(attestation, clean);

        await Expect.Status(HttpStatusCode.BadRequest, response);
        Assert.Contains("ATTESTATION_KEY_COMPROMISE", (await ProblemAsync(response)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Allow_listed_model_that_the_metadata_service_reports_revoked_cannot_register()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(aaguid, "Khóa trong danh sách cho phép", [policy.AttestationRoot.Certificate]));
        policy.PublishBlob(new Mds3Entry
        {
            Aaguid = aaguid,
            Description = "Same model, as the FIDO Alliance lists it",
            AttestationRootCertificates = [policy.AttestationRoot.Certificate],
            StatusReports = [new("REVOKED", new DateOnly(2026, 2, 1))],
        });

        var (response, _) = await TryEnrolAsync(PackedTestAttestation.WithCertificate(policy.AttestationRoot), aaguid);

        await Expect.Status(HttpStatusCode.BadRequest, response);
        Assert.Contains("REVOKED", (await ProblemAsync(response)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_whose_model_leaves_the_allow_list_drops_to_substantial_and_its_high_session_ends()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(aaguid, "Khóa sắp bị gỡ khỏi danh sách", [policy.AttestationRoot.Certificate]));
        using var citizen = await EnrolAsync(PackedTestAttestation.WithCertificate(policy.AttestationRoot), aaguid);
        Assert.Equal(AuthenticationMethods.LoaHigh, (await policy.CredentialAsync(citizen.Key.CredentialIds.Single())).Level);

        policy.AllowModels();
        await policy.ReviewAsync();

        Assert.Equal(AuthenticationMethods.LoaSubstantial, (await policy.CredentialAsync(citizen.Key.CredentialIds.Single())).Level);
        Assert.True((await citizen.AuthorizeAsync(TestPortals.PortalA, "openid")).WentToLogin, "The session the key started at high is still running.");
    }

    [Fact]
    public async Task Attested_hardware_key_added_from_a_substantial_session_is_bound_at_substantial()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(aaguid, "Khóa FIDO2 thử nghiệm", [policy.AttestationRoot.Certificate]));
        using var citizen = await EnrolAsync(attestation: null);
        using var hardware = new SoftwareAuthenticator(EIdentityServerFactory.Origin)
        {
            Attestation = PackedTestAttestation.WithCertificate(policy.AttestationRoot),
            Aaguid = aaguid,
        };

        await Expect.Status(HttpStatusCode.OK, await AddSpareKeyAsync(citizen, hardware));

        Assert.Equal(AuthenticationMethods.LoaSubstantial, (await policy.CredentialAsync(hardware.CredentialIds.Single())).Level);
    }

    [Fact]
    public async Task Registration_without_user_verification_is_refused()
    {
        policy.AllowModels();
        var nationalId = OidcTestKit.NewNationalId();
        var (_, activation) = await Server.CreateCitizenAsync(nationalId);
        using var citizen = new Citizen(Server);
        citizen.Key.UserVerified = false;

        var response = await citizen.EnrolAsync(activation);

        await Expect.Status(HttpStatusCode.BadRequest, response);
        Assert.Equal(0, await KeysOfAsync(nationalId));
    }

    [Fact]
    public async Task Key_with_an_unsupported_algorithm_is_refused_with_a_clear_message()
    {
        policy.AllowModels();
        var nationalId = OidcTestKit.NewNationalId();
        var (_, activation) = await Server.CreateCitizenAsync(nationalId);
        using var citizen = new Citizen(Server);
        citizen.Key.CoseAlgorithmOverride = -8; // EdDSA: not verified by .NET 10

        var response = await citizen.EnrolAsync(activation);

        await Expect.Status(HttpStatusCode.BadRequest, response);
        Assert.Contains("ES256", (await ProblemAsync(response)).Detail, StringComparison.Ordinal);
        Assert.Equal(0, await KeysOfAsync(nationalId));
    }

    private async Task<Citizen> EnrolAsync(TestAttestation? attestation, Guid aaguid = default)
        => (await EnrolWithIdAsync(attestation, aaguid)).Citizen;

    private async Task<(Guid PersonId, Citizen Citizen)> EnrolWithIdAsync(TestAttestation? attestation, Guid aaguid = default)
    {
        var (personId, activation) = await Server.CreateCitizenAsync(OidcTestKit.NewNationalId());
        var citizen = new Citizen(Server);
        citizen.Key.Attestation = attestation;
        citizen.Key.Aaguid = aaguid;
        await citizen.ActivateAsync(activation);
        return (personId, citizen);
    }

    private async Task<(HttpResponseMessage Response, string NationalId)> TryEnrolAsync(TestAttestation attestation, Guid aaguid)
    {
        var nationalId = OidcTestKit.NewNationalId();
        var (_, activation) = await Server.CreateCitizenAsync(nationalId);
        using var citizen = new Citizen(Server);
        citizen.Key.Attestation = attestation;
        citizen.Key.Aaguid = aaguid;
        return (await citizen.EnrolAsync(activation), nationalId);
    }

    private static string KeyIdentifierOf(System.Security.Cryptography.ECDsa key)
    {
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=probe", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
#pragma warning disable CA5350 // RFC 5280 4.2.1.2 method 1 is defined with SHA-1.
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(request.PublicKey.EncodedKeyValue.RawData));
#pragma warning restore CA5350
    }

    private async Task<int> KeysOfAsync(string nationalId)
    {
        await using var scope = Server.Services.CreateAsyncScope();
        var person = await scope.ServiceProvider.GetRequiredService<IdentityRegistry>().FindByNationalIdAsync(NationalIdNumber.Parse(nationalId), default);
        return await scope.ServiceProvider.GetRequiredService<PasskeyCeremonies>().CountPasskeysAsync(person!);
    }
}
