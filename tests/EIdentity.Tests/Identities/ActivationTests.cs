using System.Net;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.SignIn;
using Microsoft.EntityFrameworkCore;
using static EIdentity.Tests.SignIn.SignInSteps;

namespace EIdentity.Tests.Identities;

public sealed class ActivationTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private const string RegistrationOptions = "/api/passkeys/registration/options";
    private const string Registration = "/api/passkeys/registration";

    private readonly EIdentityServerFactory _server = shared.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Activation_link_enrols_a_key_and_the_citizen_is_signed_in_to_the_account_page()
    {
        var nationalId = NewNationalId();
        var (_, code) = await _server.CreateCitizenAsync(nationalId, "Trần Thị Bình");
        using var citizen = new Citizen(_server);

        var enrolled = await citizen.EnrolAsync(code);

        await Expect.Status(HttpStatusCode.OK, enrolled);
        Assert.Contains("\"redirect\":\"/account\"", await enrolled.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.True(SetsSessionCookie(enrolled));
        var account = await citizen.Browser.GetAsync("/account", Ct);
        await Expect.Status(HttpStatusCode.OK, account);
        var html = await account.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<html lang=\"vi\">", html, StringComparison.Ordinal);
        Assert.Contains("Tài khoản định danh", html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"person-name\">Trần Thị Bình</dd>", html, StringComparison.Ordinal);
        Assert.Contains("Khóa bảo mật 1", html, StringComparison.Ordinal);
        // The page shows the masked number only.
        Assert.Contains("••••••••" + nationalId[^4..], html, StringComparison.Ordinal);
        Assert.DoesNotContain(nationalId, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Account_page_is_in_English_when_asked_with_culture_en()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync("Đỗ Minh Khang");
        using var _ = citizen;

        var account = await citizen.Browser.GetAsync("/account?culture=en", Ct);

        await Expect.Status(HttpStatusCode.OK, account);
        var html = await account.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<html lang=\"en\">", html, StringComparison.Ordinal);
        Assert.Contains("My electronic identity", html, StringComparison.Ordinal);
        Assert.Contains("My security keys", html, StringComparison.Ordinal);
        Assert.Contains("Đỗ Minh Khang", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Activation_link_cannot_be_used_a_second_time()
    {
        var (_, code) = await _server.CreateCitizenAsync(NewNationalId());
        using var first = new Citizen(_server);
        await first.ActivateAsync(code);
        using var second = new Citizen(_server);

        var again = await second.EnrolAsync(code);

        await ExpectProblemAsync(again, HttpStatusCode.BadRequest, Vietnamese.ActivationUsed);
        Assert.False(SetsSessionCookie(again));
        Assert.Null(await SignedInNameAsync(second.Browser));
    }

    [Fact]
    public async Task Of_two_enrolments_begun_with_one_link_only_the_first_to_finish_gets_a_key()
    {
        var (_, code) = await _server.CreateCitizenAsync(NewNationalId(), "Vũ Thị Hoa");
        using var owner = new Citizen(_server);
        using var intruder = new Citizen(_server);
        var (_, ownerCeremony, ownerOptions) = await BeginAsync(owner.Browser, RegistrationOptions, new { activationCode = code });
        var (_, intruderCeremony, intruderOptions) = await BeginAsync(intruder.Browser, RegistrationOptions, new { activationCode = code });

        var ownerDone = await FinishAsync(owner.Browser, Registration, ownerCeremony, owner.Key.Register(ownerOptions!));
        var intruderDone = await FinishAsync(intruder.Browser, Registration, intruderCeremony, intruder.Key.Register(intruderOptions!));

        await Expect.Status(HttpStatusCode.OK, ownerDone);
        await ExpectProblemAsync(intruderDone, HttpStatusCode.BadRequest, Vietnamese.ActivationUsed);
        Assert.Null(await SignedInNameAsync(intruder.Browser));
        // The intruder's key was not stored: it cannot sign in.
        using var elsewhere = _server.NewBrowser();
        var signIn = await SignInAsync(elsewhere, intruder.Key);
        Assert.Equal(HttpStatusCode.BadRequest, signIn.StatusCode);
        Assert.Null(await SignedInNameAsync(elsewhere));
    }

    [Fact]
    public async Task Expired_activation_link_is_refused_with_the_expired_message()
    {
        var (personId, code) = await _server.CreateCitizenAsync(NewNationalId());
        await ExpireActivationCodesAsync(personId);
        using var citizen = new Citizen(_server);

        var enrolled = await citizen.EnrolAsync(code);

        await ExpectProblemAsync(enrolled, HttpStatusCode.BadRequest, Vietnamese.ActivationExpired);
        Assert.Null(await SignedInNameAsync(citizen.Browser));
    }

    [Fact]
    public async Task Activation_link_that_expires_during_enrolment_is_reported_as_expired_not_as_used()
    {
        var (personId, code) = await _server.CreateCitizenAsync(NewNationalId());
        using var citizen = new Citizen(_server);
        var (_, ceremonyId, options) = await BeginAsync(citizen.Browser, RegistrationOptions, new { activationCode = code });
        await ExpireActivationCodesAsync(personId);

        var enrolled = await FinishAsync(citizen.Browser, Registration, ceremonyId, citizen.Key.Register(options!));

        await ExpectProblemAsync(enrolled, HttpStatusCode.BadRequest, Vietnamese.ActivationExpired);
        Assert.Null(await SignedInNameAsync(citizen.Browser));
    }

    [Theory]
    [InlineData("bm90LWEtcmVhbC1jb2RlLWF0LWFsbC1qdXN0LWd1ZXNzZWQ")]
    [InlineData("x")]
    [InlineData("a-code-far-too-long-to-be-real-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Unknown_activation_code_is_refused(string code)
    {
        using var citizen = new Citizen(_server);

        var enrolled = await citizen.EnrolAsync(code);

        await ExpectProblemAsync(enrolled, HttpStatusCode.BadRequest, Vietnamese.ActivationUnknown);
    }

    [Fact]
    public async Task A_new_activation_letter_makes_the_earlier_unused_one_stop_working()
    {
        var (personId, oldCode) = await _server.CreateCitizenAsync(NewNationalId(), "Bùi Văn Tùng");
        var newCode = await _server.IssueActivationAsync(personId);
        using var withOldLetter = new Citizen(_server);
        using var withNewLetter = new Citizen(_server);

        var old = await withOldLetter.EnrolAsync(oldCode);
        var fresh = await withNewLetter.EnrolAsync(newCode);

        await ExpectProblemAsync(old, HttpStatusCode.BadRequest, Vietnamese.ActivationExpired);
        await Expect.Status(HttpStatusCode.OK, fresh);
        Assert.Equal("Bùi Văn Tùng", await SignedInNameAsync(withNewLetter.Browser));
    }

    [Fact]
    public async Task Activation_link_of_a_suspended_identity_is_refused()
    {
        var (personId, code) = await _server.CreateCitizenAsync(NewNationalId());
        await _server.SuspendAsync(personId);
        using var citizen = new Citizen(_server);

        var enrolled = await citizen.EnrolAsync(code);

        await ExpectProblemAsync(enrolled, HttpStatusCode.BadRequest, Vietnamese.IdentitySuspended);
        Assert.Null(await SignedInNameAsync(citizen.Browser));
    }

    [Fact]
    public async Task A_failed_enrolment_does_not_use_up_the_activation_link()
    {
        var (_, code) = await _server.CreateCitizenAsync(NewNationalId(), "Lý Thị Mai");
        using var citizen = new Citizen(_server);
        citizen.Key.UserVerified = false;

        var refused = await citizen.EnrolAsync(code);
        citizen.Key.UserVerified = true;
        var retried = await citizen.EnrolAsync(code);

        await ExpectProblemAsync(refused, HttpStatusCode.BadRequest, Vietnamese.VerificationFailed);
        await Expect.Status(HttpStatusCode.OK, retried);
        Assert.Equal("Lý Thị Mai", await SignedInNameAsync(citizen.Browser));
    }

    private Task ExpireActivationCodesAsync(Guid personId) =>
        _server.InDatabaseAsync(db => db.ActivationCodes.Where(c => c.PersonId == personId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1)), Ct));
}
