using System.Net;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;
using EIdentity.Tests.SignIn;
using static EIdentity.Tests.SelfService.SelfServiceSteps;

namespace EIdentity.Tests.SelfService;

/// <summary>The connected-portals page: which portal receives which data, and withdrawing a portal's access.</summary>
public sealed class PortalsPageTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private const string Portals = "/account/portals";

    private readonly EIdentityServerFactory _server = shared.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Portals_page_lists_a_portal_after_sign_in_with_the_data_it_receives_in_plain_words()
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);
        var before = await PageAsync(person.Browser, Portals);
        await OidcTestKit.CodeFlowAsync(_server, person.Citizen, TestPortals.PortalA, "openid profile national_id offline_access");

        var text = Text(await PageAsync(person.Browser, Portals));

        Assert.Contains("Không có cổng dịch vụ nào đang có quyền truy cập dữ liệu của bạn.", before, StringComparison.Ordinal);
        Assert.Contains("Cổng A Kết nối từ", text, StringComparison.Ordinal);
        // Portal A is registered first-party: it received the data without a consent screen.
        Assert.Contains("Cách cấp quyền Cổng dịch vụ công được cơ quan định danh tin cậy (không cần hỏi đồng ý)", text, StringComparison.Ordinal);
        Assert.Contains("Mã định danh của bạn dành riêng cho cổng này (không phải số CCCD)", text, StringComparison.Ordinal);
        Assert.Contains("Họ tên và ngày sinh của bạn", text, StringComparison.Ordinal);
        Assert.Contains("Số căn cước công dân (CCCD) của bạn", text, StringComparison.Ordinal);
        Assert.Contains("Giữ kết nối khi bạn không sử dụng", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Cổng B", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Withdrawing_a_portals_access_after_confirming_makes_its_refresh_token_fail()
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);
        var tokens = await OidcTestKit.CodeFlowAsync(_server, person.Citizen, TestPortals.PortalA, "openid profile offline_access");
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var stillWorking = await portal.RefreshAsync(tokens.RefreshToken);
        Assert.Equal(200, stillWorking.Status);
        var confirmPage = Text(await PageAsync(person.Browser, "/account/portals/withdraw?id=portal-a"));

        var withdrawn = await SubmitAsync(person.Browser, "/account/portals/withdraw?id=portal-a", f => f.Fields.GetValueOrDefault("id") == "portal-a");

        Assert.True(confirmPage.Contains("Rút quyền truy cập của Cổng A? Hiện cổng này nhận được: Mã định danh", StringComparison.Ordinal), confirmPage);
        Assert.Equal(HttpStatusCode.Redirect, withdrawn.StatusCode);
        Assert.Equal(Portals, withdrawn.Headers.Location!.OriginalString);
        var page = await PageAsync(person.Browser, Portals);
        Assert.Contains("Cổng A không còn quyền truy cập dữ liệu của bạn.", page, StringComparison.Ordinal);
        Assert.DoesNotContain("data-client-id=\"portal-a\"", page, StringComparison.Ordinal);
        var refresh = await portal.RefreshAsync(stillWorking.RefreshToken);
        Assert.Equal((400, "invalid_grant"), (refresh.Status, refresh.Error));
        Assert.Contains(await _server.AuditOfAsync(person.PersonId), e => e.Type == "consent.revoked" && e.Actor == "citizen" && e.Target == "portal-a");
    }

    [Fact]
    public async Task Withdrawing_a_portal_that_holds_nothing_of_the_citizen_is_not_found()
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows);
        using var other = await _server.CitizenInAsync(Browsers.ChromeOnAndroid, "Người Khác");
        var othersTokens = await OidcTestKit.CodeFlowAsync(_server, other.Citizen, TestPortals.PortalB, "openid offline_access");
        var token = Forms(await PageAsync(person.Browser, "/account"), "/account")
            .Select(f => f.Fields.GetValueOrDefault("__RequestVerificationToken")).First(t => t is not null)!;

        var page = await person.Browser.GetAsync("/account/portals/withdraw?id=portal-b", Ct);
        var posted = await person.Browser.PostAsync("/account/portals/withdraw", new FormUrlEncodedContent(
            [new("id", "portal-b"), new("__RequestVerificationToken", token)]), Ct);
        var unknown = await person.Browser.PostAsync("/account/portals/withdraw", new FormUrlEncodedContent(
            [new("id", "no-such-portal"), new("__RequestVerificationToken", token)]), Ct);

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, posted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        // Another person's grant to the same portal is untouched.
        using var portal = new PortalBackChannel(_server, TestPortals.PortalB);
        Assert.Equal(200, (await portal.RefreshAsync(othersTokens.RefreshToken)).Status);
    }
}
