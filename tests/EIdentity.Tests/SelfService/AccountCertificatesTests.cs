using System.Net;
using System.Text.RegularExpressions;
using EIdentity.Server.Credentials.Certificates;
using EIdentity.Tests.Credentials.Certificates.SignIn;
using EIdentity.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static EIdentity.Tests.SelfService.SelfServiceSteps;

namespace EIdentity.Tests.SelfService;

/// <summary>The account page lists the certificates that signed in as the citizen, read-only, with an officer's block shown.</summary>
public sealed partial class AccountCertificatesTests(CertificateServerFixture fixture) : IClassFixture<CertificateServerFixture>
{
    private readonly EIdentityServerFactory _server = fixture.Server;
    private readonly CertificateTestPki _pki = fixture.Pki;

    [Fact]
    public async Task Account_page_lists_a_certificate_that_signed_in_and_shows_when_an_officer_blocks_it()
    {
        using var person = await _server.CitizenInAsync(Browsers.FirefoxOnWindows, "Vũ Thị Hạnh");
        var before = await PageAsync(person.Browser, "/account");
        var token = _pki.Person(person.NationalId, "Vũ Thị Hạnh", hardware: true);
        using var office = new Citizen(_server);
        await Expect.Status(HttpStatusCode.OK, await SignedChallengeClient.SignInAsync(office.Browser, token));

        var listed = Text(CertificateCard(await PageAsync(person.Browser, "/account")));
        await using (var scope = _server.Services.CreateAsyncScope())
        {
            var (change, ended) = await scope.ServiceProvider.GetRequiredService<CertificateBlockList>()
                .BlockAsync(token.Certificate.IssuerName, CertificateNames.Serial(token.Certificate), "lost token", "officer-7", TestContext.Current.CancellationToken);
            Assert.Equal((BlockChange.Done, 1), (change, ended));
        }

        var blocked = Text(CertificateCard(await PageAsync(person.Browser, "/account")));

        Assert.Contains("id=\"no-certificates\"", before, StringComparison.Ordinal);
        Assert.StartsWith("Vũ Thị Hạnh Tổ chức cấp CN=EIdentity SignIn Licensed CA, O=EIdentity Tests, C=VN Số hiệu (serial) "
            + CertificateNames.Serial(token.Certificate).ToUpperInvariant() + " Mức đảm bảo Cao", listed, StringComparison.Ordinal);
        Assert.EndsWith("Trạng thái Đang dùng", listed, StringComparison.Ordinal);
        Assert.Contains("Trạng thái Đã bị chặn Cơ quan quản lý định danh đã chặn chứng thư số này", blocked, StringComparison.Ordinal);
        Assert.DoesNotContain("<form", CertificateCard(await PageAsync(person.Browser, "/account")), StringComparison.Ordinal);
        Assert.False(await IsSignedInAsync(office.Browser));
        var activity = ActivityRows(await PageAsync(person.Browser, "/account/activity"));
        Assert.Contains(activity, r => r.Type == "certificate.blocked" && Text(r.Html).Contains("Chứng thư số bị cơ quan định danh chặn", StringComparison.Ordinal));
        Assert.Contains(activity, r => r.Type == "session.ended" && Text(r.Html).Contains("Lý do Chứng thư số dùng cho phiên đã bị chặn", StringComparison.Ordinal));
        Assert.Contains(activity, r => r.Type == "session.started" && Text(r.Html).Contains("Đăng nhập bằng Chứng thư số Mức độ đảm bảo Cao", StringComparison.Ordinal));
        Assert.DoesNotContain(activity, r => r.Type == "certificate.signin");
    }

    private static string CertificateCard(string accountPage)
    {
        var card = CertificateCardPattern().Match(accountPage);
        Assert.True(card.Success, "The account page lists no certificate: " + accountPage);
        return card.Value;
    }

    [GeneratedRegex("""<li class="card key certificate[^"]*">.*?</li>""", RegexOptions.Singleline)]
    private static partial Regex CertificateCardPattern();
}
