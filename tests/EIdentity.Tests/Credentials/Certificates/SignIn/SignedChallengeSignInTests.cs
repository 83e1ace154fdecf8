using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Sessions;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;
using EIdentity.Tests.SignIn;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EIdentity.Tests.Credentials.Certificates.SignIn;

/// <summary>One server on TestServer trusting one test PKI, shared by the tests of a class.</summary>
public sealed class CertificateServerFixture : IAsyncDisposable
{
    public CertificateServerFixture()
    {
        Pki = new CertificateTestPki();
        Server = new EIdentityServerFactory(overrides: Pki.Settings(), services: Pki.Services);
    }

    internal CertificateTestPki Pki { get; }

    internal EIdentityServerFactory Server { get; }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Pki.Dispose();
    }
}

/// <summary>
/// Sign-in with a USB token through the signed-challenge API (docs/certificate-sign-in.md), as the
/// sign-in page's script and the token's signing plugin drive it.
/// </summary>
public sealed class SignedChallengeSignInTests(CertificateServerFixture fixture) : IClassFixture<CertificateServerFixture>
{
    private readonly EIdentityServerFactory _server = fixture.Server;
    private readonly CertificateTestPki _pki = fixture.Pki;

    [Fact]
    public async Task Person_certificate_signs_in_and_portal_gets_substantial_level_with_smart_card()
    {
        var nationalId = SignInSteps.NewNationalId();
        await _server.CreateCitizenAsync(nationalId, "Lê Văn Cường");
        var certificate = _pki.Person(nationalId);
        using var citizen = new Citizen(_server);

        var response = await SignedChallengeClient.SignInAsync(citizen.Browser, certificate, "/account");

        await Expect.Status(HttpStatusCode.OK, response);
        Assert.Equal("/account", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("redirect").GetString());
        Assert.True(SignInSteps.SetsSessionCookie(response));
        Assert.Equal("Lê Văn Cường", await SignInSteps.SignedInNameAsync(citizen.Browser));

        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen, TestPortals.PortalA);
        var claims = TokenResponse.Claims(tokens.IdToken);
        Assert.Equal(AuthenticationMethods.LoaSubstantial, claims.GetProperty("acr").GetString());
        Assert.Equal([AuthenticationMethods.SmartCard], OidcTestKit.Strings(claims.GetProperty("amr")));
    }

    [Fact]
    public async Task Hardware_token_policy_gives_high_level_with_hardware_key()
    {
        var nationalId = SignInSteps.NewNationalId();
        await _server.CreateCitizenAsync(nationalId);
        using var citizen = new Citizen(_server);

        await Expect.Status(HttpStatusCode.OK, await SignedChallengeClient.SignInAsync(citizen.Browser, _pki.Person(nationalId, hardware: true)));

        var claims = TokenResponse.Claims((await OidcTestKit.CodeFlowAsync(_server, citizen, TestPortals.PortalA)).IdToken);
        Assert.Equal(AuthenticationMethods.LoaHigh, claims.GetProperty("acr").GetString());
        var amr = OidcTestKit.Strings(claims.GetProperty("amr"));
        Assert.Contains(AuthenticationMethods.SmartCard, amr);
        Assert.Contains(AuthenticationMethods.HardwareKey, amr);
    }

    [Fact]
    public async Task Challenge_cannot_be_replayed()
    {
        var nationalId = SignInSteps.NewNationalId();
        await _server.CreateCitizenAsync(nationalId);
        var certificate = _pki.Person(nationalId);
        using var browser = _server.NewBrowser();
        var challenge = await SignedChallengeClient.IssueAsync(browser);
        var signature = SignedChallengeClient.Sign(certificate, challenge.ToBeSigned);
        await Expect.Status(HttpStatusCode.OK, await SignedChallengeClient.RespondAsync(browser, challenge.ChallengeId, signature, certificate));

        var replayed = await SignedChallengeClient.RespondAsync(browser, challenge.ChallengeId, signature, certificate);

        Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
        Assert.False(SignInSteps.SetsSessionCookie(replayed));
    }

    [Fact]
    public async Task Challenge_issued_to_another_browser_is_refused_and_consumed()
    {
        var nationalId = SignInSteps.NewNationalId();
        await _server.CreateCitizenAsync(nationalId);
        var certificate = _pki.Person(nationalId);
        using var victim = _server.NewBrowser();
        using var attacker = _server.NewBrowser();
        var challenge = await SignedChallengeClient.IssueAsync(victim);
        var signature = SignedChallengeClient.Sign(certificate, challenge.ToBeSigned);

        var stolen = await SignedChallengeClient.RespondAsync(attacker, challenge.ChallengeId, signature, certificate);

        Assert.Equal(HttpStatusCode.BadRequest, stolen.StatusCode);
        Assert.False(SignInSteps.SetsSessionCookie(stolen));
        Assert.Null(await SignInSteps.SignedInNameAsync(attacker));
        // Single use whatever the outcome: the rightful browser must ask for a new challenge.
        Assert.Equal(HttpStatusCode.BadRequest, (await SignedChallengeClient.RespondAsync(victim, challenge.ChallengeId, signature, certificate)).StatusCode);
    }

    [Fact]
    public async Task Response_posted_from_another_site_is_refused()
    {
        var nationalId = SignInSteps.NewNationalId();
        await _server.CreateCitizenAsync(nationalId);
        var certificate = _pki.Person(nationalId);
        using var browser = _server.NewBrowser();
        var challenge = await SignedChallengeClient.IssueAsync(browser);

        var response = await SignedChallengeClient.RespondAsync(browser, challenge.ChallengeId,
            SignedChallengeClient.Sign(certificate, challenge.ToBeSigned), certificate, origin: "https://evil.example");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(SignInSteps.SetsSessionCookie(response));
        Assert.Null(await SignInSteps.SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Signature_over_another_origins_challenge_is_refused_with_a_reason()
    {
        var nationalId = SignInSteps.NewNationalId();
        await _server.CreateCitizenAsync(nationalId);
        var certificate = _pki.Person(nationalId);
        using var browser = _server.NewBrowser();
        var challenge = await SignedChallengeClient.IssueAsync(browser);
        Assert.Equal(EIdentityServerFactory.Origin, challenge.Origin);
        Assert.Equal(SignedChallenge.ToBeSigned(challenge.Origin, challenge.Nonce), challenge.ToBeSigned);

        // A phishing site relays our nonce but the plugin signs the string naming the site it runs on.
        var phished = SignedChallenge.ToBeSigned("https://evil.example", challenge.Nonce);
        var response = await SignedChallengeClient.RespondAsync(browser, challenge.ChallengeId, SignedChallengeClient.Sign(certificate, phished), certificate);

        var refusal = await SignedChallengeClient.ReadRefusalAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, refusal.Status);
        Assert.False(string.IsNullOrWhiteSpace(refusal.Reason), refusal.Body);
        Assert.Contains("does not verify", refusal.Reason, StringComparison.Ordinal);
        Assert.Null(await SignInSteps.SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Revoked_certificate_is_refused_as_revoked()
    {
        // The person exists and is active: only the CRL stands between the certificate and a session.
        await _server.CreateCitizenAsync(_pki.RevokedNationalId);
        using var browser = _server.NewBrowser();

        var response = await SignedChallengeClient.SignInAsync(browser, _pki.Revoked);

        var refusal = await SignedChallengeClient.ReadRefusalAsync(response);
        Assert.True(refusal is { Status: HttpStatusCode.BadRequest, Refusal: nameof(CertificateRefusal.Revoked) }, refusal.Body);
        Assert.Null(await SignInSteps.SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Certificate_of_a_person_without_electronic_identity_is_refused_as_unknown()
    {
        using var browser = _server.NewBrowser();

        var response = await SignedChallengeClient.SignInAsync(browser, _pki.Person(SignInSteps.NewNationalId()));

        var refusal = await SignedChallengeClient.ReadRefusalAsync(response);
        Assert.True(refusal is { Status: HttpStatusCode.BadRequest, Refusal: nameof(CertificateRefusal.UnknownIdentity) }, refusal.Body);
    }

    [Fact]
    public async Task Suspended_person_is_forbidden()
    {
        var nationalId = SignInSteps.NewNationalId();
        var (personId, _) = await _server.CreateCitizenAsync(nationalId);
        await _server.SuspendAsync(personId);
        using var browser = _server.NewBrowser();

        var response = await SignedChallengeClient.SignInAsync(browser, _pki.Person(nationalId));

        var refusal = await SignedChallengeClient.ReadRefusalAsync(response);
        Assert.True(refusal is { Status: HttpStatusCode.Forbidden, Refusal: nameof(CertificateRefusal.IdentitySuspended) }, refusal.Body);
        Assert.Null(await SignInSteps.SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Organization_seal_is_refused()
    {
        var taxCode = SignedChallengeClient.NewTaxCode();
        await _server.CreateOrganizationAsync(taxCode);
        using var browser = _server.NewBrowser();

        var response = await SignedChallengeClient.SignInAsync(browser, _pki.Seal(taxCode));

        var refusal = await SignedChallengeClient.ReadRefusalAsync(response);
        Assert.True(refusal is { Status: HttpStatusCode.BadRequest, Refusal: nameof(CertificateRefusal.OrganizationSeal) }, refusal.Body);
        Assert.Null(await SignInSteps.SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Employee_certificate_signs_in_when_the_organization_is_registered()
    {
        var nationalId = SignInSteps.NewNationalId();
        var taxCode = SignedChallengeClient.NewTaxCode();
        await _server.CreateCitizenAsync(nationalId, "Đỗ Thị Hoa");
        await _server.CreateOrganizationAsync(taxCode);
        using var browser = _server.NewBrowser();

        var response = await SignedChallengeClient.SignInAsync(browser, _pki.Employee(nationalId, taxCode));

        await Expect.Status(HttpStatusCode.OK, response);
        Assert.Equal("Đỗ Thị Hoa", await SignInSteps.SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Blocked_certificate_is_refused_as_blocked()
    {
        var nationalId = SignInSteps.NewNationalId();
        await _server.CreateCitizenAsync(nationalId);
        var certificate = _pki.Person(nationalId);
        var (change, _) = await BlockAsync(certificate);
        Assert.Equal(BlockChange.Done, change);
        using var browser = _server.NewBrowser();

        var response = await SignedChallengeClient.SignInAsync(browser, certificate);

        var refusal = await SignedChallengeClient.ReadRefusalAsync(response);
        Assert.True(refusal is { Status: HttpStatusCode.Forbidden, Refusal: nameof(CertificateRefusal.Blocked) }, refusal.Body);
        Assert.Null(await SignInSteps.SignedInNameAsync(browser));
    }

    [Fact]
    public async Task Blocking_a_certificate_ends_its_session_and_stops_refreshing_its_grants()
    {
        var nationalId = SignInSteps.NewNationalId();
        await _server.CreateCitizenAsync(nationalId, "Vũ Minh Khoa");
        var certificate = _pki.Person(nationalId);
        using var citizen = new Citizen(_server);
        await Expect.Status(HttpStatusCode.OK, await SignedChallengeClient.SignInAsync(citizen.Browser, certificate));
        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen, TestPortals.PortalA, "openid profile offline_access");
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);

        var (change, ended) = await BlockAsync(certificate);

        Assert.Equal(BlockChange.Done, change);
        Assert.Equal(1, ended);
        Assert.Null(await SignInSteps.SignedInNameAsync(citizen.Browser));
        var refreshed = await portal.RefreshAsync(tokens.RefreshToken);
        Assert.True(refreshed is { Status: 400, Error: "invalid_grant" }, $"Refresh after the block: {refreshed.Status} {refreshed.Raw}");
    }

    [Fact]
    public async Task Expired_challenge_is_refused()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = new EIdentityServerFactory(overrides: _pki.Settings(), clock: clock, services: _pki.Services);
        var nationalId = SignInSteps.NewNationalId();
        await server.CreateCitizenAsync(nationalId);
        var certificate = _pki.Person(nationalId);
        using var browser = server.NewBrowser();
        var challenge = await SignedChallengeClient.IssueAsync(browser);

        clock.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        var response = await SignedChallengeClient.RespondAsync(browser, challenge.ChallengeId,
            SignedChallengeClient.Sign(certificate, challenge.ToBeSigned), certificate);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(SignInSteps.SetsSessionCookie(response));
        Assert.Null(await SignInSteps.SignedInNameAsync(browser));
    }

    private async Task<(BlockChange Change, int SessionsEnded)> BlockAsync(TestKey certificate)
    {
        await using var scope = _server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CertificateBlockList>().BlockAsync(
            certificate.Certificate.IssuerName, SignedChallengeClient.Serial(certificate.Certificate), "Token reported lost", "officer-tests");
    }
}
