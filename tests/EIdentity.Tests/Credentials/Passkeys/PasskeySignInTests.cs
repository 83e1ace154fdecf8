using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.SignIn;
using Microsoft.EntityFrameworkCore;
using static EIdentity.Tests.SignIn.SignInSteps;

namespace EIdentity.Tests.Credentials.Passkeys;

public sealed class PasskeySignInTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private const string AssertionOptions = "/api/passkeys/assertion/options";
    private const string Assertion = "/api/passkeys/assertion";

    private readonly EIdentityServerFactory _server = shared.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Citizen_signs_in_with_the_key_alone_without_typing_the_national_id()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync("Hoàng Văn Nam");
        using var _ = citizen;
        using var browser = _server.NewBrowser();

        var (_, ceremonyId, options) = await BeginAsync(browser, AssertionOptions, new { nationalId = (string?)null });
        var request = JsonNode.Parse(options!)!;
        var signedIn = await FinishAsync(browser, Assertion, ceremonyId, citizen.Key.Assert(options!));

        // Username-less: the options name no credential; the key picks its discoverable one.
        Assert.True(request["allowCredentials"] is null || request["allowCredentials"]!.AsArray().Count == 0);
        Assert.Equal("required", request["userVerification"]?.GetValue<string>());
        await Expect.Status(HttpStatusCode.OK, signedIn);
        Assert.True(SetsSessionCookie(signedIn));
        Assert.Equal("Hoàng Văn Nam", await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Citizen_signs_in_after_typing_the_national_id_first()
    {
        var (citizen, _, nationalId) = await _server.ActivatedCitizenAsync("Ngô Thị Lan");
        using var _ = citizen;
        using var browser = _server.NewBrowser();

        var (_, ceremonyId, options) = await BeginAsync(browser, AssertionOptions, new { nationalId });
        var signedIn = await FinishAsync(browser, Assertion, ceremonyId, citizen.Key.Assert(options!));

        var allowed = JsonNode.Parse(options!)!["allowCredentials"]!.AsArray().Select(c => c!["id"]!.GetValue<string>());
        Assert.Equal(citizen.Key.CredentialIds, allowed);
        await Expect.Status(HttpStatusCode.OK, signedIn);
        Assert.Equal("Ngô Thị Lan", await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Unknown_national_id_is_answered_with_not_found_and_a_clear_message()
    {
        using var browser = _server.NewBrowser();

        var (response, _, _) = await BeginAsync(browser, AssertionOptions, new { nationalId = NewNationalId() });

        await ExpectProblemAsync(response, HttpStatusCode.NotFound, Vietnamese.NationalIdUnknown);
    }

    [Fact]
    public async Task National_id_of_an_identity_that_has_no_key_yet_is_answered_like_an_unknown_one()
    {
        var nationalId = NewNationalId();
        await _server.CreateCitizenAsync(nationalId);
        using var browser = _server.NewBrowser();

        var (response, _, _) = await BeginAsync(browser, AssertionOptions, new { nationalId });

        await ExpectProblemAsync(response, HttpStatusCode.NotFound, Vietnamese.NationalIdUnknown);
    }

    [Fact]
    public async Task Refusals_are_in_English_for_a_citizen_who_chose_English()
    {
        using var browser = _server.NewBrowser();
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/language/en?returnUrl=%2Faccount%2Flogin", Ct)).StatusCode);

        var (response, _, _) = await BeginAsync(browser, AssertionOptions, new { nationalId = NewNationalId() });

        await ExpectProblemAsync(response, HttpStatusCode.NotFound, "No activated electronic identity has this ID number.");
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("0010850001111")]
    [InlineData("00108500011x")]
    [InlineData("abcdefghijkl")]
    public async Task Malformed_national_id_is_refused_with_the_format_message(string nationalId)
    {
        using var browser = _server.NewBrowser();

        var (response, _, _) = await BeginAsync(browser, AssertionOptions, new { nationalId });

        await ExpectProblemAsync(response, HttpStatusCode.BadRequest, Vietnamese.NationalIdFormat);
    }

    [Fact]
    public async Task Tampered_signature_is_refused_and_starts_no_session()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        using var browser = _server.NewBrowser();
        citizen.Key.TamperNextSignature = true;

        var refused = await SignInAsync(browser, citizen.Key);

        await ExpectProblemAsync(refused, HttpStatusCode.BadRequest, Vietnamese.VerificationFailed);
        Assert.False(SetsSessionCookie(refused));
        Assert.Null(await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Assertion_made_on_another_origin_is_refused()
    {
        var (citizen, _, nationalId) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        using var browser = _server.NewBrowser();
        citizen.Key.Origin = "https://evil.example";

        var refused = await SignInAsync(browser, citizen.Key, nationalId);

        await ExpectProblemAsync(refused, HttpStatusCode.BadRequest, Vietnamese.VerificationFailed);
        Assert.Null(await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Assertion_signed_over_another_challenge_is_refused()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        using var browser = _server.NewBrowser();
        citizen.Key.OverrideChallenge = Base64Url.EncodeToString(new byte[32]);

        var refused = await SignInAsync(browser, citizen.Key);

        await ExpectProblemAsync(refused, HttpStatusCode.BadRequest, Vietnamese.VerificationFailed);
        Assert.Null(await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Replayed_assertion_is_refused_even_from_another_browser()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        using var browser = _server.NewBrowser();
        using var attacker = _server.NewBrowser();
        var (_, ceremonyId, options) = await BeginAsync(browser, AssertionOptions, new { });
        var credential = citizen.Key.Assert(options!);

        var first = await FinishAsync(browser, Assertion, ceremonyId, credential);
        var replayed = await FinishAsync(attacker, Assertion, ceremonyId, credential);

        await Expect.Status(HttpStatusCode.OK, first);
        await ExpectProblemAsync(replayed, HttpStatusCode.BadRequest, Vietnamese.ChallengeUsed);
        Assert.False(SetsSessionCookie(replayed));
        Assert.Null(await SignedInNameAsync(attacker));
    }

    [Fact]
    public async Task Response_for_one_ceremony_cannot_finish_another()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        using var browser = _server.NewBrowser();
        var (_, _, firstOptions) = await BeginAsync(browser, AssertionOptions, new { });
        var (_, secondCeremony, _) = await BeginAsync(browser, AssertionOptions, new { });

        var refused = await FinishAsync(browser, Assertion, secondCeremony, citizen.Key.Assert(firstOptions!));

        await ExpectProblemAsync(refused, HttpStatusCode.BadRequest, Vietnamese.VerificationFailed);
        Assert.Null(await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task A_registration_ceremony_cannot_be_finished_as_a_sign_in()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        var (_, registrationCeremony, _) = await BeginAsync(citizen.Browser, "/api/passkeys/registration/options", new { });
        var (_, _, options) = await BeginAsync(citizen.Browser, AssertionOptions, new { });
        using var browser = _server.NewBrowser();

        var refused = await FinishAsync(browser, Assertion, registrationCeremony, citizen.Key.Assert(options!));

        await ExpectProblemAsync(refused, HttpStatusCode.BadRequest, Vietnamese.ChallengeUsed);
        Assert.Null(await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Expired_sign_in_request_is_refused_with_the_expired_message()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        using var browser = _server.NewBrowser();
        var (_, ceremonyId, options) = await BeginAsync(browser, AssertionOptions, new { });
        await _server.InDatabaseAsync(db => db.PasskeyCeremonies.Where(c => c.Id == ceremonyId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1)), Ct));

        var refused = await FinishAsync(browser, Assertion, ceremonyId, citizen.Key.Assert(options!));

        await ExpectProblemAsync(refused, HttpStatusCode.BadRequest, Vietnamese.ChallengeExpired);
        Assert.Null(await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Key_that_only_tested_presence_without_user_verification_is_refused()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        using var browser = _server.NewBrowser();
        citizen.Key.UserVerified = false;

        var refused = await SignInAsync(browser, citizen.Key);

        await ExpectProblemAsync(refused, HttpStatusCode.BadRequest, Vietnamese.VerificationFailed);
        Assert.Null(await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Suspended_identity_cannot_sign_in_with_its_key()
    {
        var (citizen, personId, nationalId) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        await _server.SuspendAsync(personId);
        using var browser = _server.NewBrowser();

        var usernameLess = await SignInAsync(browser, citizen.Key);
        var (identifierFirst, _, _) = await BeginAsync(browser, AssertionOptions, new { nationalId });

        await ExpectProblemAsync(usernameLess, HttpStatusCode.BadRequest, Vietnamese.IdentitySuspended);
        await ExpectProblemAsync(identifierFirst, HttpStatusCode.Forbidden, Vietnamese.IdentitySuspended);
        Assert.Null(await SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Suspending_an_identity_ends_the_session_it_already_has()
    {
        var (citizen, personId, _) = await _server.ActivatedCitizenAsync("Trịnh Văn Sơn");
        using var _ = citizen;
        Assert.Equal("Trịnh Văn Sơn", await SignedInNameAsync(citizen.Browser));

        await _server.SuspendAsync(personId);

        Assert.Null(await SignedInNameAsync(citizen.Browser));
    }

    [Fact]
    public async Task Another_identitys_key_cannot_finish_a_sign_in_begun_with_this_national_id()
    {
        var (victim, _, victimNationalId) = await _server.ActivatedCitizenAsync("Nạn Nhân");
        var (attacker, _, _) = await _server.ActivatedCitizenAsync("Kẻ Gian");
        using var _ = victim;
        using var __ = attacker;
        using var browser = _server.NewBrowser();
        var (_, ceremonyId, options) = await BeginAsync(browser, AssertionOptions, new { nationalId = victimNationalId });
        // The attacker's client ignores allowCredentials and answers with the attacker's own key.
        var request = JsonNode.Parse(options!)!.AsObject();
        request.Remove("allowCredentials");

        var refused = await FinishAsync(browser, Assertion, ceremonyId, attacker.Key.Assert(request.ToJsonString()));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.False(SetsSessionCookie(refused));
        Assert.Null(await SignedInNameAsync(browser));
    }

    public static TheoryData<string, string> MalformedBodies => new()
    {
        { "credential is a string", """{"ceremonyId":"{ceremony}","credential":"nope"}""" },
        { "credential is missing", """{"ceremonyId":"{ceremony}"}""" },
        { "credential is null", """{"ceremonyId":"{ceremony}","credential":null}""" },
        { "credential is an array", """{"ceremonyId":"{ceremony}","credential":[1,2]}""" },
        { "credential is empty", """{"ceremonyId":"{ceremony}","credential":{}}""" },
        { "response is missing", """{"ceremonyId":"{ceremony}","credential":{"id":"AAAA","rawId":"AAAA","type":"public-key"}}""" },
        { "fields are of the wrong type", """{"ceremonyId":"{ceremony}","credential":{"id":5,"rawId":true,"type":"public-key","response":[]}}""" },
        { "fields are not base64url", """{"ceremonyId":"{ceremony}","credential":{"id":"***","rawId":"***","type":"public-key","response":{"clientDataJSON":"***","authenticatorData":"***","signature":"***"}}}""" },
        { "client data is not JSON", """{"ceremonyId":"{ceremony}","credential":{"id":"AAAA","rawId":"AAAA","type":"public-key","clientExtensionResults":{},"response":{"clientDataJSON":"bm90IGpzb24","authenticatorData":"AAAA","signature":"AAAA"}}}""" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Malformed_sign_in_response_is_refused_with_a_problem_never_a_server_error(string what, string body)
    {
        using var browser = _server.NewBrowser();
        var (_, ceremonyId, _) = await BeginAsync(browser, AssertionOptions, new { });

        var refused = await PostJsonAsync(browser, Assertion, body.Replace("{ceremony}", ceremonyId, StringComparison.Ordinal));

        var problem = await ReadProblemAsync(refused);
        Assert.True(problem.Status == HttpStatusCode.BadRequest && problem.ContentType == "application/problem+json" && !string.IsNullOrEmpty(problem.Detail),
            $"{what}: expected a 400 problem with a detail but got {(int)problem.Status} {problem.ContentType}: {problem.Body}");
        Assert.Null(await SignedInNameAsync(browser));
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("[]")]
    [InlineData("""{"ceremonyId":42,"credential":{}}""")]
    [InlineData("""{"ceremonyId":"x","credential":{},"returnUrl":{}}""")]
    public async Task Sign_in_request_the_server_cannot_read_is_refused_with_bad_request_not_a_server_error(string body)
    {
        using var browser = _server.NewBrowser();

        var refused = await PostJsonAsync(browser, Assertion, body);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Null(await SignedInNameAsync(browser));
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("""{"ceremonyId":42,"credential":{}}""")]
    public async Task Sign_in_request_the_server_cannot_read_is_answered_with_a_problem_the_page_can_show(string body)
    {
        using var browser = _server.NewBrowser();

        var refused = await PostJsonAsync(browser, Assertion, body);

        var problem = await ReadProblemAsync(refused);
        Assert.True(problem.Status == HttpStatusCode.BadRequest && problem.ContentType == "application/problem+json" && !string.IsNullOrEmpty(problem.Detail),
            $"Expected a 400 problem with a detail but got {(int)problem.Status} {problem.ContentType}: {problem.Body}");
    }

    [Fact]
    public async Task Assertion_whose_user_handle_names_no_identity_is_refused_not_a_server_error()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        using var browser = _server.NewBrowser();
        var (_, ceremonyId, options) = await BeginAsync(browser, AssertionOptions, new { });
        var credential = JsonNode.Parse(citizen.Key.Assert(options!))!;
        credential["response"]!["userHandle"] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes("not-an-identity"));

        var refused = await FinishAsync(browser, Assertion, ceremonyId, credential.ToJsonString());

        var problem = await ReadProblemAsync(refused);
        Assert.True(problem.Status == HttpStatusCode.BadRequest, $"Expected 400 but got {(int)problem.Status}: {problem.Body}");
        Assert.Null(await SignedInNameAsync(browser));
    }

    [Theory]
    [InlineData("/account", "/account")]
    [InlineData("/connect/authorize?client_id=portal-a", "/connect/authorize?client_id=portal-a")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example/", "/")]
    public async Task After_sign_in_the_browser_goes_to_a_page_of_this_site_only(string returnUrl, string expected)
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        using var browser = _server.NewBrowser();

        var signedIn = await SignInAsync(browser, citizen.Key, returnUrl: returnUrl);

        await Expect.Status(HttpStatusCode.OK, signedIn);
        var redirect = JsonNode.Parse(await signedIn.Content.ReadAsStringAsync(Ct))!["redirect"]!.GetValue<string>();
        Assert.Equal(expected, redirect);
    }
}
