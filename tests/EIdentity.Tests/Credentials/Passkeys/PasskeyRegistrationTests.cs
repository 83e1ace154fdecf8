using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.SignIn;
using static EIdentity.Tests.SignIn.SignInSteps;

namespace EIdentity.Tests.Credentials.Passkeys;

public sealed class PasskeyRegistrationTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private const string RegistrationOptions = "/api/passkeys/registration/options";
    private const string Registration = "/api/passkeys/registration";

    private readonly EIdentityServerFactory _server = shared.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Signed_in_citizen_adds_a_spare_key_and_both_keys_sign_in()
    {
        var (citizen, _, nationalId) = await _server.ActivatedCitizenAsync("Đặng Thu Trang");
        using var _ = citizen;
        using var spare = new SoftwareAuthenticator(EIdentityServerFactory.Origin);

        var added = await EnrolAsync(citizen.Browser, spare, activationCode: null);

        await Expect.Status(HttpStatusCode.OK, added);
        var account = await (await citizen.Browser.GetAsync("/account", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Contains("Khóa bảo mật 1", account, StringComparison.Ordinal);
        Assert.Contains("Khóa bảo mật 2", account, StringComparison.Ordinal);
        foreach (var key in new[] { citizen.Key, spare })
        {
            using var browser = _server.NewBrowser();
            await Expect.Status(HttpStatusCode.OK, await SignInAsync(browser, key, nationalId));
            Assert.Equal("Đặng Thu Trang", await SignedInNameAsync(browser));
        }
    }

    [Fact]
    public async Task Adding_a_key_without_being_signed_in_is_refused()
    {
        using var browser = _server.NewBrowser();
        using var key = new SoftwareAuthenticator(EIdentityServerFactory.Origin);

        var refused = await EnrolAsync(browser, key, activationCode: null);

        await ExpectProblemAsync(refused, HttpStatusCode.Unauthorized, Vietnamese.SignInRequired);
    }

    [Fact]
    public async Task Key_enrolment_begun_in_a_signed_in_browser_cannot_be_finished_from_another_browser()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        using var stranger = _server.NewBrowser();
        using var strangersKey = new SoftwareAuthenticator(EIdentityServerFactory.Origin);
        var (_, ceremonyId, options) = await BeginAsync(citizen.Browser, RegistrationOptions, new { });

        var refused = await FinishAsync(stranger, Registration, ceremonyId, strangersKey.Register(options!));

        await ExpectProblemAsync(refused, HttpStatusCode.Unauthorized, Vietnamese.SignInRequired);
        using var browser = _server.NewBrowser();
        Assert.Equal(HttpStatusCode.BadRequest, (await SignInAsync(browser, strangersKey)).StatusCode);
        Assert.Null(await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Enrolment_options_exclude_the_keys_already_registered_so_the_same_key_is_not_enrolled_twice()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;

        var (response, _, options) = await BeginAsync(citizen.Browser, RegistrationOptions, new { });

        await Expect.Status(HttpStatusCode.OK, response);
        var excluded = JsonNode.Parse(options!)!["excludeCredentials"]?.AsArray().Select(c => c!["id"]!.GetValue<string>()) ?? [];
        Assert.Equal(citizen.Key.CredentialIds, excluded);
        Assert.Throws<InvalidOperationException>(() => citizen.Key.Register(options!));
    }

    [Fact]
    public async Task Same_key_registered_again_by_a_client_that_ignores_excludeCredentials_is_refused()
    {
        var nationalId = NewNationalId();
        var (_, code) = await _server.CreateCitizenAsync(nationalId);
        using var citizen = new Citizen(_server);
        var (_, firstCeremony, firstOptions) = await BeginAsync(citizen.Browser, RegistrationOptions, new { activationCode = code });
        var firstRegistration = citizen.Key.Register(firstOptions!);
        await Expect.Status(HttpStatusCode.OK, await FinishAsync(citizen.Browser, Registration, firstCeremony, firstRegistration));
        var (_, secondCeremony, secondOptions) = await BeginAsync(citizen.Browser, RegistrationOptions, new { });

        var refused = await FinishAsync(citizen.Browser, Registration, secondCeremony, ForChallenge(firstRegistration, secondOptions!));

        await ExpectProblemAsync(refused, HttpStatusCode.BadRequest, Vietnamese.AlreadyRegistered);
        var account = await (await citizen.Browser.GetAsync("/account", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("Khóa bảo mật 2", account, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_registered_to_one_identity_cannot_be_registered_to_another()
    {
        var (_, ownerCode) = await _server.CreateCitizenAsync(NewNationalId(), "Chủ Khóa");
        using var owner = new Citizen(_server);
        var (_, ownerCeremony, ownerOptions) = await BeginAsync(owner.Browser, RegistrationOptions, new { activationCode = ownerCode });
        var ownerRegistration = owner.Key.Register(ownerOptions!);
        await Expect.Status(HttpStatusCode.OK, await FinishAsync(owner.Browser, Registration, ownerCeremony, ownerRegistration));
        var (_, otherCode) = await _server.CreateCitizenAsync(NewNationalId(), "Người Khác");
        using var other = _server.NewBrowser();
        var (_, otherCeremony, otherOptions) = await BeginAsync(other, RegistrationOptions, new { activationCode = otherCode });

        var refused = await FinishAsync(other, Registration, otherCeremony, ForChallenge(ownerRegistration, otherOptions!));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.False(SetsSessionCookie(refused));
        Assert.Null(await SignedInNameAsync(other));
        // The owner's key still signs the owner in.
        using var browser = _server.NewBrowser();
        await Expect.Status(HttpStatusCode.OK, await SignInAsync(browser, owner.Key));
        Assert.Equal("Chủ Khóa", await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Enrolment_from_another_origin_is_refused_and_leaves_the_link_usable()
    {
        var (_, code) = await _server.CreateCitizenAsync(NewNationalId(), "Mạc Thị Yến");
        using var citizen = new Citizen(_server);
        citizen.Key.Origin = "https://evil.example";

        var refused = await citizen.EnrolAsync(code);
        citizen.Key.Origin = EIdentityServerFactory.Origin;
        var retried = await citizen.EnrolAsync(code);

        await ExpectProblemAsync(refused, HttpStatusCode.BadRequest, Vietnamese.VerificationFailed);
        await Expect.Status(HttpStatusCode.OK, retried);
        Assert.Equal("Mạc Thị Yến", await SignedInNameAsync(citizen.Browser));
    }

    [Fact]
    public async Task Replayed_enrolment_response_is_refused()
    {
        var (_, code) = await _server.CreateCitizenAsync(NewNationalId());
        using var citizen = new Citizen(_server);
        var (_, ceremonyId, options) = await BeginAsync(citizen.Browser, RegistrationOptions, new { activationCode = code });
        var registration = citizen.Key.Register(options!);
        await Expect.Status(HttpStatusCode.OK, await FinishAsync(citizen.Browser, Registration, ceremonyId, registration));
        using var attacker = _server.NewBrowser();

        var replayed = await FinishAsync(attacker, Registration, ceremonyId, registration);

        await ExpectProblemAsync(replayed, HttpStatusCode.BadRequest, Vietnamese.ChallengeUsed);
        Assert.Null(await SignedInNameAsync(attacker));
    }

    [Theory]
    [InlineData("""{"ceremonyId":"{ceremony}","credential":"nope"}""")]
    [InlineData("""{"ceremonyId":"{ceremony}"}""")]
    [InlineData("""{"ceremonyId":"{ceremony}","credential":{}}""")]
    [InlineData("""{"ceremonyId":"{ceremony}","credential":{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"bm90IGpzb24","attestationObject":"AAAA"}}}""")]
    [InlineData("""{"ceremonyId":"{ceremony}","credential":{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"***","attestationObject":"***"}}}""")]
    public async Task Malformed_enrolment_response_is_refused_with_a_problem_never_a_server_error(string body)
    {
        var (_, code) = await _server.CreateCitizenAsync(NewNationalId());
        using var browser = _server.NewBrowser();
        var (_, ceremonyId, _) = await BeginAsync(browser, RegistrationOptions, new { activationCode = code });

        var refused = await PostJsonAsync(browser, Registration, body.Replace("{ceremony}", ceremonyId, StringComparison.Ordinal));

        var problem = await ReadProblemAsync(refused);
        Assert.True(problem.Status == HttpStatusCode.BadRequest && problem.ContentType == "application/problem+json" && !string.IsNullOrEmpty(problem.Detail),
            $"Expected a 400 problem with a detail but got {(int)problem.Status} {problem.ContentType}: {problem.Body}");
        Assert.Null(await SignedInNameAsync(browser));
    }

    /// <summary>
    /// The same registration response (same credential id and public key) answering a new challenge:
    /// with "none" attestation nothing is signed, so a client can do this without the authenticator.
    /// </summary>
    private static string ForChallenge(string registrationJson, string creationOptionsJson)
    {
        var registration = JsonNode.Parse(registrationJson)!;
        var challenge = JsonNode.Parse(creationOptionsJson)!["challenge"]!.GetValue<string>();
        var clientData = JsonNode.Parse(Base64Url.DecodeFromChars(registration["response"]!["clientDataJSON"]!.GetValue<string>()))!;
        clientData["challenge"] = challenge;
        registration["response"]!["clientDataJSON"] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(clientData.ToJsonString()));
        return registration.ToJsonString();
    }
}
