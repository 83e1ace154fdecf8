using System.Net;
using EIdentity.Server.Audit;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;
using EIdentity.Tests.SignIn;
using Microsoft.Extensions.DependencyInjection;
using static EIdentity.Tests.SelfService.SelfServiceSteps;

namespace EIdentity.Tests.SelfService;

/// <summary>The activity history: sign-ins by portal, method and device; failures; "this wasn't me".</summary>
public sealed class ActivityPageTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private const string Activity = "/account/activity";
    private const string NotMe = "Không phải tôi";

    private readonly EIdentityServerFactory _server = shared.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Activity_shows_sign_ins_newest_first_with_method_level_device_and_portal()
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);
        await OidcTestKit.CodeFlowAsync(_server, person.Citizen, TestPortals.PortalA);

        var rows = ActivityRows(await PageAsync(person.Browser, Activity));

        Assert.Equal(["portal.signin", "session.started", "passkey.enrolled"], rows.Select(r => r.Type));
        var portal = Text(rows[0].Html);
        Assert.Contains("Đăng nhập vào Cổng A", portal, StringComparison.Ordinal);
        Assert.Contains("Đăng nhập bằng Khóa bảo mật hoặc passkey Mức độ đảm bảo Đáng kể Thiết bị Firefox / Windows", portal, StringComparison.Ordinal);
        Assert.EndsWith(NotMe, portal, StringComparison.Ordinal);
        var identity = Text(rows[1].Html);
        Assert.Contains("Đăng nhập định danh điện tử", identity, StringComparison.Ordinal);
        Assert.Contains("Thiết bị Firefox / Windows", identity, StringComparison.Ordinal);
        Assert.EndsWith(NotMe, identity, StringComparison.Ordinal);
        Assert.Contains("Đã thêm khóa bảo mật", Text(rows[2].Html), StringComparison.Ordinal);
        Assert.DoesNotContain(NotMe, Text(rows[2].Html), StringComparison.Ordinal);
    }

    [Fact]
    public async Task This_wasnt_me_signs_out_everywhere_revokes_the_portals_grant_and_flags_the_row()
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);
        var stranger = await _server.SignInElsewhereAsync(person, Browsers.ChromeOnAndroid);
        var tokens = await OidcTestKit.CodeFlowAsync(_server, stranger, TestPortals.PortalA, "openid offline_access");
        var strangersSignIn = ActivityRows(await PageAsync(person.Browser, Activity))
            .Single(r => r.Type == "session.started" && r.Html.Contains("Chrome / Android", StringComparison.Ordinal)).Sequence;
        var confirm = Text(await PageAsync(person.Browser, $"/account/activity/report?seq={strangersSignIn}"));

        var reported = await SubmitAsync(person.Browser, $"/account/activity/report?seq={strangersSignIn}", f => f.Fields.ContainsKey("seq"));

        Assert.Contains("Lần đăng nhập này không phải do bạn? ", confirm, StringComparison.Ordinal);
        Assert.Contains("Thiết bị Chrome / Android", confirm, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, reported.StatusCode);
        Assert.Equal("/account/activity/reported", reported.Headers.Location!.OriginalString);
        var told = Text(await PageAsync(person.Browser, "/account/activity/reported"));
        Assert.Contains("Bạn đã được đăng xuất ở mọi nơi", told, StringComparison.Ordinal);
        Assert.Contains("Kiểm tra các khóa và chứng thư số", told, StringComparison.Ordinal);
        Assert.False(await IsSignedInAsync(person.Browser));
        Assert.False(await IsSignedInAsync(stranger.Browser));
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        Assert.Equal("invalid_grant", (await portal.RefreshAsync(tokens.RefreshToken)).Error);

        // Signed in again, the citizen sees the row flagged and what the report did.
        await Expect.Status(HttpStatusCode.OK, await person.Citizen.SignInAsync());
        var rows = ActivityRows(await PageAsync(person.Browser, Activity));
        var flagged = Text(rows.Single(r => r.Sequence == strangersSignIn).Html);
        Assert.Contains("Bạn đã báo đây không phải bạn lúc", flagged, StringComparison.Ordinal);
        Assert.DoesNotContain(NotMe, flagged, StringComparison.Ordinal);
        var report = Text(rows.Single(r => r.Type == ActivityReported).Html);
        Assert.Contains("Bạn đã báo một lần đăng nhập không phải do bạn Số phiên đã kết thúc 2", report, StringComparison.Ordinal);
        Assert.Contains(rows, r => r.Type == "session.ended" && Text(r.Html).Contains("Thiết bị Chrome / Android Lý do Bạn đã báo một lần đăng nhập không phải do bạn", StringComparison.Ordinal));

        // For the security officers: the flag is a row of the hash-chained log naming the reported row and its key.
        var audit = await _server.AuditOfAsync(person.PersonId);
        var flag = Assert.Single(audit, e => e.Type == ActivityReported);
        Assert.Equal(("citizen", strangersSignIn.ToString(System.Globalization.CultureInfo.InvariantCulture)), (flag.Actor, flag.Target));
        Assert.Contains("credential=" + person.Citizen.Key.CredentialIds.Single(), flag.Detail, StringComparison.Ordinal);
        await _server.InDatabaseAsync(async db => Assert.True((await AuditLog.VerifyAsync(db, Ct)).IsIntact));
    }

    [Fact]
    public async Task Activity_never_shows_another_persons_events_and_their_sign_ins_cannot_be_reported()
    {
        using var curious = await _server.CitizenInAsync(Browsers.FirefoxOnWindows, "Người Tò Mò");
        using var other = await _server.CitizenInAsync(Browsers.ChromeOnAndroid, "Người Khác");
        await OidcTestKit.CodeFlowAsync(_server, other.Citizen, TestPortals.PortalB);
        var othersSignIn = ActivityRows(await PageAsync(other.Browser, Activity)).First(r => r.Type == "portal.signin").Sequence;

        var page = await PageAsync(curious.Browser, Activity);
        var confirm = await curious.Browser.GetAsync($"/account/activity/report?seq={othersSignIn}", Ct);
        var token = Forms(await PageAsync(curious.Browser, "/account"), "/account")
            .Select(f => f.Fields.GetValueOrDefault("__RequestVerificationToken")).First(t => t is not null)!;
        var forged = await curious.Browser.PostAsync("/account/activity/report", new FormUrlEncodedContent(
            [new("seq", othersSignIn.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("__RequestVerificationToken", token)]), Ct);

        Assert.DoesNotContain("Cổng B", page, StringComparison.Ordinal);
        Assert.DoesNotContain(ActivityRows(page), r => r.Sequence == othersSignIn);
        Assert.Equal(HttpStatusCode.NotFound, confirm.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
        Assert.True(await IsSignedInAsync(other.Browser));
        Assert.True(await IsSignedInAsync(curious.Browser));
        Assert.DoesNotContain(await _server.AuditOfAsync(curious.PersonId), e => e.Type == ActivityReported);
    }

    [Fact]
    public async Task Failed_sign_in_with_the_citizens_key_appears_in_the_activity_history_without_a_report_link()
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);
        using var elsewhere = _server.NewBrowser();
        person.Citizen.Key.TamperNextSignature = true;
        await Expect.Status(HttpStatusCode.BadRequest, await SignInSteps.SignInAsync(elsewhere, person.Citizen.Key));

        var failure = ActivityRows(await PageAsync(person.Browser, Activity))[0];

        Assert.Equal("passkey.signin_failed", failure.Type);
        var text = Text(failure.Html);
        Assert.Contains("Đăng nhập bằng khóa bảo mật không thành công Lý do Không xác minh được phản hồi của khóa", text, StringComparison.Ordinal);
        Assert.DoesNotContain(NotMe, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Activity_is_shown_fifty_rows_a_page_and_unknown_events_generically()
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);
        await using (var scope = _server.Services.CreateAsyncScope())
        {
            var audit = scope.ServiceProvider.GetRequiredService<AuditLog>();
            await audit.RecordAsync(new AuditEntry("mandate.granted", "registrar", person.PersonId, "x"), Ct);
            for (var i = 0; i < 55; i++)
            {
                await audit.RecordAsync(new AuditEntry("portal.signin", "citizen", person.PersonId, "portal-b", "amr=pop user mfa; acr=urn:eidentity:loa:substantial; device=Firefox / Windows"), Ct);
            }
        }

        var first = await PageAsync(person.Browser, Activity);
        var second = await PageAsync(person.Browser, Activity + "?page=2");

        Assert.Equal(50, ActivityRows(first).Count);
        Assert.Contains("href=\"/account/activity?page=2\" rel=\"next\"", first, StringComparison.Ordinal);
        Assert.DoesNotContain("rel=\"prev\"", first, StringComparison.Ordinal);
        // 55 portal sign-ins, the unknown event, the first sign-in and the key's enrolment.
        Assert.Equal(8, ActivityRows(second).Count);
        Assert.Contains("href=\"/account/activity?page=1\" rel=\"prev\"", second, StringComparison.Ordinal);
        Assert.DoesNotContain("rel=\"next\"", second, StringComparison.Ordinal);
        Assert.Contains("Sự kiện bảo mật khác Sự kiện mandate.granted", Text(ActivityRows(second).Single(r => r.Type == "mandate.granted").Html), StringComparison.Ordinal);
    }

    private const string ActivityReported = "activity.reported";
}
