using System.Net;
using System.Security.Cryptography;
using EIdentity.Server.Sessions;
using EIdentity.Tests.Credentials.Certificates.SignIn;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;
using EIdentity.Tests.SignIn;

namespace EIdentity.Tests.Admin;

/// <summary>
/// What a security officer's action does everywhere at once, for each kind — a key revoked, a
/// certificate blocked, an identity suspended: the citizen's sessions are gone, no token of theirs
/// refreshes, introspects as active or opens userinfo, the portals that took part are queued a
/// back-channel logout, and reinstating the identity brings none of it back.
/// </summary>
public sealed class RevocationCascadeTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private const string Offline = "openid profile offline_access";

    private readonly EIdentityServerFactory _server = fixture.Server;
    private readonly CertificateTestPki _pki = fixture.Pki;

    [Fact]
    public async Task Revoking_a_passkey_ends_its_session_and_every_token_the_session_granted()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var taking = await TakePartAtBothPortalsAsync(citizen.Citizen);
        using var admin = await AdminKit.ConnectAsync(_server);

        var revoked = await admin.PostAsync("/api/admin/credentials/revoke",
            new { credentialId = citizen.Citizen.Key.CredentialIds.Single(), reason = "Key reported stolen" });

        revoked.Expect(HttpStatusCode.OK);
        Assert.Equal(("revoked", citizen.PersonId.ToString()), (revoked["outcome"], revoked["identity"]));
        await AssertCascadeAsync(citizen.Citizen.Browser, citizen.PersonId, taking, "credential_revoked");
        Assert.Contains(await AdminKit.AuditAsync(_server, citizen.PersonId),
            e => e is { Type: "passkey.revoked", Actor: AdminKit.Actor, Detail: "Key reported stolen" });
    }

    [Fact]
    public async Task Blocking_a_certificate_ends_its_session_and_every_token_the_session_granted()
    {
        var nationalId = SignInSteps.NewNationalId();
        var (personId, _) = await _server.CreateCitizenAsync(nationalId, "Đặng Văn Khóa");
        var certificate = _pki.Person(nationalId);
        using var citizen = new Citizen(_server);
        await Expect.Status(HttpStatusCode.OK, await SignedChallengeClient.SignInAsync(citizen.Browser, certificate));
        var taking = await TakePartAtBothPortalsAsync(citizen);
        using var admin = await AdminKit.ConnectAsync(_server);
        var listed = (await admin.GetAsync($"/api/admin/identities/{personId}/credentials")).Expect(HttpStatusCode.OK);
        var credentialId = "x509:" + Convert.ToHexStringLower(SHA256.HashData(certificate.Certificate.RawData));
        var entry = Assert.Single(listed.Json.GetProperty("certificates").EnumerateArray());
        Assert.Equal(credentialId, entry.GetProperty("credentialId").GetString());
        Assert.False(entry.GetProperty("blocked").GetBoolean());

        var blocked = await admin.PostAsync("/api/admin/credentials/revoke", new { credentialId, reason = "Token lost on a train" });

        Assert.Equal("blocked", blocked.Expect(HttpStatusCode.OK)["outcome"]);
        await AssertCascadeAsync(citizen.Browser, personId, taking, "credential_blocked");
        var after = (await admin.GetAsync($"/api/admin/identities/{personId}/credentials")).Expect(HttpStatusCode.OK);
        Assert.True(after.Json.GetProperty("certificates")[0].GetProperty("blocked").GetBoolean());
        Assert.Equal("already_blocked", (await admin.PostAsync("/api/admin/credentials/revoke", new { credentialId, reason = "again" })).Expect(HttpStatusCode.OK)["outcome"]);
        Assert.Contains(await AdminKit.AuditAsync(_server, personId),
            e => e is { Type: "certificate.blocked", Actor: AdminKit.Actor, Detail: "Token lost on a train" });
        var refusal = await SignedChallengeClient.ReadRefusalAsync(await SignedChallengeClient.SignInAsync(citizen.Browser, certificate));
        Assert.Equal(HttpStatusCode.Forbidden, refusal.Status);
    }

    [Fact]
    public async Task Suspending_an_identity_ends_all_its_sessions_and_every_token()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var taking = await TakePartAtBothPortalsAsync(citizen.Citizen);
        // A second browser (another device) signed in with the same key.
        using var otherDevice = _server.NewBrowser();
        await Expect.Status(HttpStatusCode.OK, await SignInSteps.SignInAsync(otherDevice, citizen.Citizen.Key));
        using var admin = await AdminKit.ConnectAsync(_server);

        var suspended = await admin.PostAsync($"/api/admin/identities/{citizen.PersonId}/suspend", new { reason = "Court order 12/2026" });

        suspended.Expect(HttpStatusCode.OK);
        Assert.Equal(("suspended", "suspended", "2"), (suspended["status"], suspended["outcome"], suspended["sessionsEnded"]));
        await AssertCascadeAsync(citizen.Citizen.Browser, citizen.PersonId, taking, IdentityStatusReason);
        Assert.Null(await SignInSteps.SignedInNameAsync(otherDevice));
        await SignInSteps.ExpectProblemAsync(await citizen.Citizen.SignInAsync(), HttpStatusCode.BadRequest, Vietnamese.IdentitySuspended);
        Assert.Equal("suspended", (await admin.GetAsync($"/api/admin/identities/{citizen.PersonId}")).Expect(HttpStatusCode.OK)["status"]);
        var audit = await AdminKit.AuditAsync(_server, citizen.PersonId);
        var recorded = Assert.Single(audit, e => e.Type == "identity.suspended");
        Assert.Equal(AdminKit.Actor, recorded.Actor);
        Assert.Contains("reason=Court order 12/2026", recorded.Detail, StringComparison.Ordinal);
        Assert.Equal(2, audit.Count(e => e is { Type: "session.ended", Detail: IdentityStatusReason }));
    }

    [Fact]
    public async Task Reinstating_an_identity_revives_no_session_grant_or_token()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var taking = await TakePartAtBothPortalsAsync(citizen.Citizen);
        using var admin = await AdminKit.ConnectAsync(_server);
        (await admin.PostAsync($"/api/admin/identities/{citizen.PersonId}/suspend", new { reason = "Investigation" })).Expect(HttpStatusCode.OK);

        var reinstated = await admin.PostAsync($"/api/admin/identities/{citizen.PersonId}/reinstate", new { reason = "Investigation closed" });

        Assert.Equal(("active", "reinstated"), (reinstated.Expect(HttpStatusCode.OK)["status"], reinstated["outcome"]));
        await AssertTokensDeadAsync(taking);
        Assert.True((await citizen.Citizen.AuthorizeAsync(TestPortals.PortalA)).WentToLogin, "The suspended session came back.");
        Assert.Contains(await AdminKit.AuditAsync(_server, citizen.PersonId),
            e => e is { Type: "identity.reinstated", Actor: AdminKit.Actor, Detail: "reason=Investigation closed" });

        // The citizen signs in afresh and gets new grants that work.
        await Expect.Status(HttpStatusCode.OK, await citizen.Citizen.SignInAsync());
        var fresh = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, Offline);
        Assert.True(await AdminKit.IsActiveAsync(_server, TestPortals.PortalA, fresh.AccessToken));
        Assert.Equal(200, (await new PortalBackChannel(_server, TestPortals.PortalA).RefreshAsync(fresh.RefreshToken)).Status);
    }

    [Fact]
    public async Task Suspension_revokes_offline_grants_that_outlived_their_session()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var offline = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalB, Offline);
        await OidcTestKit.SignOutAsync(_server, citizen.Citizen);
        using var portalB = new PortalBackChannel(_server, TestPortals.PortalB);
        var afterLogout = await portalB.RefreshAsync(offline.RefreshToken);
        Assert.True(afterLogout.Status == 200, "A logout keeps offline access: " + afterLogout.Raw);
        using var admin = await AdminKit.ConnectAsync(_server);

        var suspended = await admin.PostAsync($"/api/admin/identities/{citizen.PersonId}/suspend", new { reason = "Fraud" });
        (await admin.PostAsync($"/api/admin/identities/{citizen.PersonId}/reinstate")).Expect(HttpStatusCode.OK);

        Assert.Equal("0", suspended.Expect(HttpStatusCode.OK)["sessionsEnded"]);
        Assert.NotEqual("0", suspended["grantsRevoked"]);
        Assert.False(await AdminKit.IsActiveAsync(_server, TestPortals.PortalB, afterLogout.AccessToken));
        Assert.False(await AdminKit.IsActiveAsync(_server, TestPortals.PortalB, afterLogout.RefreshToken));
        Assert.Equal("invalid_grant", (await portalB.RefreshAsync(afterLogout.RefreshToken)).Error);
    }

    [Fact]
    public async Task Revoking_a_passkey_also_revokes_offline_grants_that_outlived_their_session()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var offline = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalB, Offline);
        await OidcTestKit.SignOutAsync(_server, citizen.Citizen);
        using var portalB = new PortalBackChannel(_server, TestPortals.PortalB);
        var afterLogout = await portalB.RefreshAsync(offline.RefreshToken);
        Assert.True(afterLogout.Status == 200, "A logout keeps offline access: " + afterLogout.Raw);
        using var admin = await AdminKit.ConnectAsync(_server);

        (await admin.PostAsync("/api/admin/credentials/revoke", new { credentialId = citizen.Citizen.Key.CredentialIds.Single(), reason = "Lost" }))
            .Expect(HttpStatusCode.OK);

        Assert.False(await AdminKit.IsActiveAsync(_server, TestPortals.PortalB, afterLogout.AccessToken), "The access token still introspects as active.");
        Assert.False(await AdminKit.IsActiveAsync(_server, TestPortals.PortalB, afterLogout.RefreshToken), "The refresh token still introspects as active.");
        Assert.Equal(401, (await portalB.UserInfoAsync(afterLogout.AccessToken)).Status);
        Assert.Equal("invalid_grant", (await portalB.RefreshAsync(afterLogout.RefreshToken)).Error);
    }

    [Fact]
    public async Task Blocking_a_certificate_also_revokes_offline_grants_that_outlived_their_session()
    {
        var nationalId = SignInSteps.NewNationalId();
        await _server.CreateCitizenAsync(nationalId, "Hồ Thị Ngoại Tuyến");
        var certificate = _pki.Person(nationalId);
        using var citizen = new Citizen(_server);
        await Expect.Status(HttpStatusCode.OK, await SignedChallengeClient.SignInAsync(citizen.Browser, certificate));
        var offline = await OidcTestKit.CodeFlowAsync(_server, citizen, TestPortals.PortalB, Offline);
        await OidcTestKit.SignOutAsync(_server, citizen);
        using var admin = await AdminKit.ConnectAsync(_server);
        var credentialId = "x509:" + Convert.ToHexStringLower(SHA256.HashData(certificate.Certificate.RawData));

        (await admin.PostAsync("/api/admin/credentials/revoke", new { credentialId, reason = "Lost" })).Expect(HttpStatusCode.OK);

        Assert.False(await AdminKit.IsActiveAsync(_server, TestPortals.PortalB, offline.AccessToken), "The access token still introspects as active.");
        Assert.False(await AdminKit.IsActiveAsync(_server, TestPortals.PortalB, offline.RefreshToken), "The refresh token still introspects as active.");
    }

    [Fact]
    public async Task Suspending_twice_says_so_and_is_audited_once()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        using var admin = await AdminKit.ConnectAsync(_server);
        var path = $"/api/admin/identities/{citizen.PersonId}";

        var first = await admin.PostAsync(path + "/suspend", new { reason = "first" });
        var second = await admin.PostAsync(path + "/suspend", new { reason = "second" });
        var reinstated = await admin.PostAsync(path + "/reinstate");
        var again = await admin.PostAsync(path + "/reinstate");

        Assert.Equal("suspended", first.Expect(HttpStatusCode.OK)["outcome"]);
        Assert.Equal("already_suspended", second.Expect(HttpStatusCode.OK)["outcome"]);
        Assert.Equal("reinstated", reinstated.Expect(HttpStatusCode.OK)["outcome"]);
        Assert.Equal("already_active", again.Expect(HttpStatusCode.OK)["outcome"]);
        var audit = await AdminKit.AuditAsync(_server, citizen.PersonId);
        Assert.Single(audit, e => e.Type == "identity.suspended");
        Assert.Single(audit, e => e.Type == "identity.reinstated");
    }

    [Fact]
    public async Task Ending_one_session_leaves_the_citizens_other_devices_signed_in()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var taking = await TakePartAtBothPortalsAsync(citizen.Citizen);
        using var otherDevice = _server.NewBrowser();
        await Expect.Status(HttpStatusCode.OK, await SignInSteps.SignInAsync(otherDevice, citizen.Citizen.Key));
        using var admin = await AdminKit.ConnectAsync(_server);

        var ended = await admin.DeleteAsync($"/api/admin/sessions/{taking.SessionId}");
        var endedAgain = await admin.DeleteAsync($"/api/admin/sessions/{taking.SessionId}");

        Assert.Equal(("ended", AdminApiReason), (ended.Expect(HttpStatusCode.OK)["outcome"], ended["endReason"]));
        Assert.Equal("already_ended", endedAgain.Expect(HttpStatusCode.OK)["outcome"]);
        await AssertCascadeAsync(citizen.Citizen.Browser, citizen.PersonId, taking, AdminApiReason);
        Assert.Equal(citizen.Name, await SignInSteps.SignedInNameAsync(otherDevice));
        Assert.Contains(await AdminKit.AuditAsync(_server, citizen.PersonId),
            e => e is { Type: "admin.sessions.ended", Actor: AdminKit.Actor } && e.Target == taking.SessionId);
    }

    [Fact]
    public async Task Ending_all_sessions_signs_every_device_out_but_the_identity_stays_active()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var taking = await TakePartAtBothPortalsAsync(citizen.Citizen);
        using var otherDevice = _server.NewBrowser();
        await Expect.Status(HttpStatusCode.OK, await SignInSteps.SignInAsync(otherDevice, citizen.Citizen.Key));
        using var admin = await AdminKit.ConnectAsync(_server);

        var ended = await admin.PostAsync($"/api/admin/identities/{citizen.PersonId}/sessions/end", new { reason = "Citizen called: phone stolen" });

        Assert.Equal("2", ended.Expect(HttpStatusCode.OK)["ended"]);
        await AssertCascadeAsync(citizen.Citizen.Browser, citizen.PersonId, taking, AdminApiReason);
        Assert.Null(await SignInSteps.SignedInNameAsync(otherDevice));
        await Expect.Status(HttpStatusCode.OK, await SignInSteps.SignInAsync(otherDevice, citizen.Citizen.Key));
        Assert.Equal(citizen.Name, await SignInSteps.SignedInNameAsync(otherDevice));
        Assert.Contains(await AdminKit.AuditAsync(_server, citizen.PersonId), e => e is { Type: "admin.sessions.ended", Actor: AdminKit.Actor, Target: "all" }
            && e.Detail == "sessions_ended=2; reason=Citizen called: phone stolen");
    }

    private const string IdentityStatusReason = "identity_suspended";

    private const string AdminApiReason = "ended_by_admin";

    /// <summary>The session's tokens at portal A (back-channel logout registered) and portal B (not).</summary>
    private sealed record Participation(string SessionId, TokenResponse AtA, TokenResponse AtB);

    private async Task<Participation> TakePartAtBothPortalsAsync(Citizen citizen)
    {
        var atA = await OidcTestKit.CodeFlowAsync(_server, citizen, TestPortals.PortalA, Offline);
        var atB = await OidcTestKit.CodeFlowAsync(_server, citizen, TestPortals.PortalB, Offline);
        var sid = TokenResponse.Claims(atA.IdToken).GetProperty("sid").GetString()!;
        Assert.True(await AdminKit.IsActiveAsync(_server, TestPortals.PortalA, atA.AccessToken));
        return new(sid, atA, atB);
    }

    private async Task AssertCascadeAsync(HttpClient browser, Guid personId, Participation taking, string reason)
    {
        // The citizen's browser is signed out: the account page sends it to sign in, portals get no code.
        Assert.Null(await SignInSteps.SignedInNameAsync(browser));
        await AssertTokensDeadAsync(taking);

        // Portal A registered a back-channel logout URI and is queued one; portal B did not and is not.
        var deliveries = await AdminKit.DeliveriesAsync(_server, personId);
        var delivery = Assert.Single(deliveries, d => d.SessionId == taking.SessionId);
        Assert.Equal((TestPortals.PortalA.ClientId, LogoutDeliveryStatus.Pending, reason), (delivery.ClientId, delivery.Status, delivery.Reason));

        // The admin API shows the same.
        using var admin = await AdminKit.ConnectAsync(_server);
        var listed = (await admin.GetAsync($"/api/admin/logout-deliveries?status=pending&identity={personId}")).Expect(HttpStatusCode.OK);
        var row = Assert.Single(listed.Json.GetProperty("deliveries").EnumerateArray(), d => d.GetProperty("sessionId").GetString() == taking.SessionId);
        Assert.Equal(("portal-a", "pending", reason), (row.GetProperty("clientId").GetString(), row.GetProperty("status").GetString(), row.GetProperty("reason").GetString()));
        var sessions = (await admin.GetAsync($"/api/admin/identities/{personId}/sessions")).Expect(HttpStatusCode.OK);
        var session = Assert.Single(sessions.Json.GetProperty("sessions").EnumerateArray(), s => s.GetProperty("id").GetString() == taking.SessionId);
        Assert.Equal(("ended", reason), (session.GetProperty("status").GetString(), session.GetProperty("endReason").GetString()));
    }

    private async Task AssertTokensDeadAsync(Participation taking)
    {
        using var portalA = new PortalBackChannel(_server, TestPortals.PortalA);
        using var portalB = new PortalBackChannel(_server, TestPortals.PortalB);
        foreach (var (portal, backChannel, tokens) in new[] { (TestPortals.PortalA, portalA, taking.AtA), (TestPortals.PortalB, portalB, taking.AtB) })
        {
            Assert.False(await AdminKit.IsActiveAsync(_server, portal, tokens.AccessToken), $"{portal.ClientId}'s access token introspects as active.");
            Assert.False(await AdminKit.IsActiveAsync(_server, portal, tokens.RefreshToken), $"{portal.ClientId}'s refresh token introspects as active.");
            var refreshed = await backChannel.RefreshAsync(tokens.RefreshToken);
            Assert.True(refreshed is { Status: 400, Error: "invalid_grant" }, $"{portal.ClientId} refreshed: {refreshed.Status} {refreshed.Raw}");
            var userInfo = await backChannel.UserInfoAsync(tokens.AccessToken);
            Assert.True(userInfo.Status == 401, $"{portal.ClientId}'s userinfo answered {userInfo.Status} {userInfo.Raw}");
        }
    }
}
