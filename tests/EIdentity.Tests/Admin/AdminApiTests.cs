using System.Net;
using System.Security.Cryptography;
using EIdentity.Server.Oidc;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;
using EIdentity.Tests.SignIn;

namespace EIdentity.Tests.Admin;

/// <summary>
/// The admin API as a security officer's tool uses it: finding an identity, reading its sessions,
/// credentials and logout deliveries, and a ProblemDetails that says what to fix for every bad input.
/// </summary>
public sealed class AdminApiTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private readonly EIdentityServerFactory _server = fixture.Server;

    [Fact]
    public async Task Lookup_by_national_id_in_the_body_finds_the_identity_and_is_audited_without_the_number()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        using var admin = await AdminKit.ConnectAsync(_server);

        var found = await admin.PostAsync("/api/admin/identities/lookup", new { nationalId = citizen.NationalId });

        found.Expect(HttpStatusCode.OK);
        Assert.Equal((citizen.PersonId.ToString(), "active"), (found["id"], found["status"]));
        Assert.DoesNotContain(citizen.NationalId, found.Raw, StringComparison.Ordinal);
        var audit = Assert.Single(await AdminKit.AuditAsync(_server, citizen.PersonId), e => e.Type == "admin.identity.lookup");
        Assert.Equal(AdminKit.Actor, audit.Actor);
        Assert.DoesNotContain(citizen.NationalId, $"{audit.Target} {audit.Detail}", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lookup_refuses_bad_input_with_problem_details()
    {
        using var admin = await AdminKit.ConnectAsync(_server);
        const string Path = "/api/admin/identities/lookup";

        (await admin.PostAsync(Path)).ExpectProblem(HttpStatusCode.BadRequest, "Missing or malformed request body");
        (await admin.SendAsync(HttpMethod.Post, Path, "{\"nationalId\":")).ExpectProblem(HttpStatusCode.BadRequest, "Missing or malformed request body");
        (await admin.SendAsync(HttpMethod.Post, Path, "[1, 2]")).ExpectProblem(HttpStatusCode.BadRequest, "Missing or malformed request body");
        (await admin.SendAsync(HttpMethod.Post, Path, "{\"nationalId\": 1}")).ExpectProblem(HttpStatusCode.BadRequest, "Missing or malformed request body");
        (await admin.SendAsync(HttpMethod.Post, Path, "nationalId=001099012345", "application/x-www-form-urlencoded"))
            .ExpectProblem(HttpStatusCode.BadRequest, "Missing or malformed request body");
        (await admin.PostAsync(Path, new { nationalId = "12345" })).ExpectProblem(HttpStatusCode.BadRequest, "Malformed national ID number");
        (await admin.PostAsync(Path, new { })).ExpectProblem(HttpStatusCode.BadRequest, "Malformed national ID number");
        (await admin.PostAsync(Path, new { nationalId = SignInSteps.NewNationalId() })).ExpectProblem(HttpStatusCode.NotFound, "Identity not found");
    }

    [Fact]
    public async Task Identity_routes_refuse_malformed_and_unknown_ids()
    {
        using var admin = await AdminKit.ConnectAsync(_server);
        var unknown = Guid.CreateVersion7();
        var reason = new { reason = "test" };

        foreach (var malformed in new[] { "not-a-uuid", "001099012345", "{" + unknown + "}" })
        {
            var path = "/api/admin/identities/" + Uri.EscapeDataString(malformed);
            (await admin.GetAsync(path)).ExpectProblem(HttpStatusCode.BadRequest, "Malformed identity id");
            (await admin.GetAsync(path + "/sessions")).ExpectProblem(HttpStatusCode.BadRequest, "Malformed identity id");
            (await admin.GetAsync(path + "/credentials")).ExpectProblem(HttpStatusCode.BadRequest, "Malformed identity id");
            (await admin.PostAsync(path + "/suspend", reason)).ExpectProblem(HttpStatusCode.BadRequest, "Malformed identity id");
            (await admin.PostAsync(path + "/reinstate")).ExpectProblem(HttpStatusCode.BadRequest, "Malformed identity id");
            (await admin.PostAsync(path + "/sessions/end")).ExpectProblem(HttpStatusCode.BadRequest, "Malformed identity id");
        }

        var missing = "/api/admin/identities/" + unknown;
        (await admin.GetAsync(missing)).ExpectProblem(HttpStatusCode.NotFound, "Identity not found");
        (await admin.GetAsync(missing + "/sessions")).ExpectProblem(HttpStatusCode.NotFound, "Identity not found");
        (await admin.GetAsync(missing + "/credentials")).ExpectProblem(HttpStatusCode.NotFound, "Identity not found");
        (await admin.PostAsync(missing + "/suspend", reason)).ExpectProblem(HttpStatusCode.NotFound, "Identity not found");
        (await admin.PostAsync(missing + "/reinstate")).ExpectProblem(HttpStatusCode.NotFound, "Identity not found");
        (await admin.PostAsync(missing + "/sessions/end")).ExpectProblem(HttpStatusCode.NotFound, "Identity not found");
    }

    [Fact]
    public async Task Suspension_needs_a_reason_and_refuses_a_malformed_body()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        using var admin = await AdminKit.ConnectAsync(_server);
        var path = $"/api/admin/identities/{citizen.PersonId}/suspend";

        (await admin.PostAsync(path)).ExpectProblem(HttpStatusCode.BadRequest, "Reason required");
        (await admin.PostAsync(path, new { reason = "   " })).ExpectProblem(HttpStatusCode.BadRequest, "Reason required");
        (await admin.PostAsync(path, new { reason = new string('x', 501) })).ExpectProblem(HttpStatusCode.BadRequest, "Invalid reason");
        (await admin.PostAsync(path, new { reason = "line\nbreak" })).ExpectProblem(HttpStatusCode.BadRequest, "Invalid reason");
        (await admin.SendAsync(HttpMethod.Post, path, "{oops")).ExpectProblem(HttpStatusCode.BadRequest, "Missing or malformed request body");
        (await admin.PostAsync($"/api/admin/identities/{citizen.PersonId}/reinstate", new { reason = 42 }))
            .ExpectProblem(HttpStatusCode.BadRequest, "Missing or malformed request body");

        // Nothing happened: the citizen is still signed in.
        Assert.Equal(citizen.Name, await SignInSteps.SignedInNameAsync(citizen.Browser));
        Assert.DoesNotContain(await AdminKit.AuditAsync(_server, citizen.PersonId), e => e.Type == "identity.suspended");
    }

    [Fact]
    public async Task Identity_summary_and_sessions_show_what_the_citizen_did()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, "openid profile");
        await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalB, "openid");
        await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, "openid");
        var sid = TokenResponse.Claims(tokens.IdToken).GetProperty("sid").GetString();
        using var admin = await AdminKit.ConnectAsync(_server);

        var summary = (await admin.GetAsync($"/api/admin/identities/{citizen.PersonId}")).Expect(HttpStatusCode.OK);
        var sessions = (await admin.GetAsync($"/api/admin/identities/{citizen.PersonId}/sessions")).Expect(HttpStatusCode.OK);

        Assert.Equal((citizen.PersonId.ToString(), "active"), (summary["id"], summary["status"]));
        Assert.Equal(1, summary.Json.GetProperty("sessions").GetProperty("active").GetInt32());
        Assert.Equal(1, summary.Json.GetProperty("credentials").GetProperty("activePasskeys").GetInt32());
        Assert.DoesNotContain(citizen.NationalId, summary.Raw + sessions.Raw, StringComparison.Ordinal);
        Assert.DoesNotContain(citizen.Name, summary.Raw + sessions.Raw, StringComparison.Ordinal);
        var session = Assert.Single(sessions.Json.GetProperty("sessions").EnumerateArray());
        Assert.Equal(sid, session.GetProperty("id").GetString());
        Assert.Equal("active", session.GetProperty("status").GetString());
        Assert.Equal(TokenResponse.Claims(tokens.IdToken).GetProperty("acr").GetString(), session.GetProperty("acr").GetString());
        Assert.Contains("user", OidcTestKit.Strings(session.GetProperty("amr")));
        Assert.Equal(citizen.Citizen.Key.CredentialIds.Single(), session.GetProperty("credentialId").GetString());
        Assert.Equal(["portal-a", "portal-b"], session.GetProperty("portals").EnumerateArray().Select(p => p.GetProperty("clientId").GetString()!));
        Assert.Equal("Cổng A", session.GetProperty("portals")[0].GetProperty("displayName").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, session.GetProperty("endedAt").ValueKind);
        var audit = await AdminKit.AuditAsync(_server, citizen.PersonId);
        Assert.Contains(audit, e => e is { Type: "admin.viewed", Actor: AdminKit.Actor, Target: "identity" });
        Assert.Contains(audit, e => e is { Type: "admin.viewed", Actor: AdminKit.Actor, Target: "sessions" });
    }

    [Fact]
    public async Task Credentials_list_shows_active_and_revoked_passkeys()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var first = citizen.Citizen.Key.CredentialIds.Single();
        using var spare = new SoftwareAuthenticator(EIdentityServerFactory.Origin);
        await Expect.Status(HttpStatusCode.OK, await SignInSteps.EnrolAsync(citizen.Browser, spare, activationCode: null));
        using var admin = await AdminKit.ConnectAsync(_server);
        (await admin.PostAsync("/api/admin/credentials/revoke", new { credentialId = first, reason = "Lost" })).Expect(HttpStatusCode.OK);

        var listed = (await admin.GetAsync($"/api/admin/identities/{citizen.PersonId}/credentials")).Expect(HttpStatusCode.OK);

        var passkeys = listed.Json.GetProperty("passkeys").EnumerateArray().ToList();
        Assert.Equal(2, passkeys.Count);
        var revoked = Assert.Single(passkeys, p => p.GetProperty("credentialId").GetString() == first);
        Assert.Equal(("revoked", "revoked-by-officer"), (revoked.GetProperty("status").GetString(), revoked.GetProperty("statusReason").GetString()));
        var active = Assert.Single(passkeys, p => p.GetProperty("credentialId").GetString() == spare.CredentialIds.Single());
        Assert.Equal("active", active.GetProperty("status").GetString());
        Assert.Empty(listed.Json.GetProperty("certificates").EnumerateArray());
        Assert.Equal("already_revoked",
            (await admin.PostAsync("/api/admin/credentials/revoke", new { credentialId = first, reason = "Again" })).Expect(HttpStatusCode.OK)["outcome"]);
        Assert.Single(await AdminKit.AuditAsync(_server, citizen.PersonId), e => e.Type == "passkey.revoked");
    }

    [Fact]
    public async Task Credential_revocation_refuses_bad_input()
    {
        using var admin = await AdminKit.ConnectAsync(_server);
        const string Path = "/api/admin/credentials/revoke";
        var unknownKey = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

        (await admin.PostAsync(Path)).ExpectProblem(HttpStatusCode.BadRequest, "Missing or malformed request body");
        (await admin.PostAsync(Path, new { credentialId = unknownKey })).ExpectProblem(HttpStatusCode.BadRequest, "Reason required");
        (await admin.PostAsync(Path, new { reason = "lost" })).ExpectProblem(HttpStatusCode.BadRequest, "Malformed credential id");
        (await admin.PostAsync(Path, new { credentialId = "not base64url!", reason = "lost" })).ExpectProblem(HttpStatusCode.BadRequest, "Malformed credential id");
        (await admin.PostAsync(Path, new { credentialId = unknownKey + "==", reason = "lost" })).ExpectProblem(HttpStatusCode.BadRequest, "Malformed credential id");
        (await admin.PostAsync(Path, new { credentialId = "x509:abc", reason = "lost" })).ExpectProblem(HttpStatusCode.BadRequest, "Malformed credential id");
        (await admin.PostAsync(Path, new { credentialId = unknownKey, reason = "lost" })).ExpectProblem(HttpStatusCode.NotFound, "Credential not found");
        (await admin.PostAsync(Path, new { credentialId = "x509:" + new string('a', 64), reason = "lost" }))
            .ExpectProblem(HttpStatusCode.NotFound, "Credential not found");
    }

    [Fact]
    public async Task Session_routes_refuse_malformed_and_unknown_ids()
    {
        using var admin = await AdminKit.ConnectAsync(_server);

        (await admin.DeleteAsync("/api/admin/sessions/not*a*session")).ExpectProblem(HttpStatusCode.BadRequest, "Malformed session id");
        (await admin.DeleteAsync("/api/admin/sessions/" + new string('a', 65))).ExpectProblem(HttpStatusCode.BadRequest, "Malformed session id");
        (await admin.DeleteAsync("/api/admin/sessions/" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24))))
            .ExpectProblem(HttpStatusCode.NotFound, "Session not found");
    }

    [Fact]
    public async Task Logout_deliveries_are_filtered_by_status_and_identity()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, "openid");
        using var admin = await AdminKit.ConnectAsync(_server);
        (await admin.PostAsync($"/api/admin/identities/{citizen.PersonId}/sessions/end")).Expect(HttpStatusCode.OK);

        var pending = (await admin.GetAsync($"/api/admin/logout-deliveries?status=PENDING&identity={citizen.PersonId}")).Expect(HttpStatusCode.OK);
        var delivered = (await admin.GetAsync($"/api/admin/logout-deliveries?status=delivered&identity={citizen.PersonId}")).Expect(HttpStatusCode.OK);

        var row = Assert.Single(pending.Json.GetProperty("deliveries").EnumerateArray());
        Assert.Equal(citizen.PersonId, row.GetProperty("identity").GetGuid());
        Assert.Equal(("portal-a", "pending", "ended_by_admin", 0), (row.GetProperty("clientId").GetString(), row.GetProperty("status").GetString(),
            row.GetProperty("reason").GetString(), row.GetProperty("attempts").GetInt32()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, row.GetProperty("deliveredAt").ValueKind);
        Assert.Empty(delivered.Json.GetProperty("deliveries").EnumerateArray());

        (await admin.GetAsync("/api/admin/logout-deliveries?status=sent")).ExpectProblem(HttpStatusCode.BadRequest, "Unknown delivery status");
        (await admin.GetAsync("/api/admin/logout-deliveries?status=1")).ExpectProblem(HttpStatusCode.BadRequest, "Unknown delivery status");
        (await admin.GetAsync("/api/admin/logout-deliveries?identity=someone")).ExpectProblem(HttpStatusCode.BadRequest, "Malformed identity id");
        (await admin.GetAsync("/api/admin/logout-deliveries?limit=0")).ExpectProblem(HttpStatusCode.BadRequest, "Invalid limit");
        (await admin.GetAsync("/api/admin/logout-deliveries?limit=501")).ExpectProblem(HttpStatusCode.BadRequest, "Invalid limit");
        (await admin.GetAsync("/api/admin/logout-deliveries?limit=-5")).ExpectProblem(HttpStatusCode.BadRequest, "Invalid limit");
    }

    [Fact]
    public async Task Admin_api_is_rate_limited_per_address()
    {
        await using var server = new EIdentityServerFactory(overrides: AdminKit.Settings(new() { ["RateLimits:AdminPerMinute"] = "2" }));
        using var admin = await AdminKit.ConnectAsync(server);

        var answers = new List<AdminAnswer>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await admin.GetAsync("/api/admin/logout-deliveries"));
        }

        answers[0].Expect(HttpStatusCode.OK);
        answers[1].Expect(HttpStatusCode.OK);
        answers[2].ExpectProblem(HttpStatusCode.TooManyRequests, "Too many requests");
        Assert.Equal("60", answers[2].Headers.RetryAfter?.ToString());
    }

    [Theory]
    [InlineData(true, false, true)]
    [InlineData(false, false, false)]
    [InlineData(true, true, false)]
    public void Only_a_client_credentials_client_without_redirect_uris_may_hold_the_admin_scope(bool clientCredentials, bool redirectUri, bool valid)
    {
        var registration = new PortalRegistration
        {
            ClientId = "admin-tool",
            ClientSecret = "a-long-secret",
            DisplayName = "Admin tool",
            AllowClientCredentials = clientCredentials,
            RedirectUris = redirectUri ? ["https://admin.example/callback"] : [],
            Scopes = ["eid.admin"],
        };

        var errors = registration.Validate().ToList();

        Assert.Equal(valid, errors.Count == 0);
        Assert.Equal(!valid, errors.Any(e => e.Contains("'eid.admin' scope is for admin clients only", StringComparison.Ordinal)));
    }
}
