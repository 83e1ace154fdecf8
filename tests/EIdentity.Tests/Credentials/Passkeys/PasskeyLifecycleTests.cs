using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Server.Persistence;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.SignIn;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static EIdentity.Tests.Credentials.Passkeys.KeyCeremonies;

namespace EIdentity.Tests.Credentials.Passkeys;

/// <summary>A key's life after enrolment: seen, renamed, removed, caught when cloned.</summary>
public sealed partial class PasskeyLifecycleTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly EIdentityServerFactory _server = shared.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Cloned_key_is_refused_suspended_and_the_citizen_is_told_why()
    {
        var (citizen, personId, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        using var spare = new SoftwareAuthenticator(EIdentityServerFactory.Origin);
        await Expect.Status(HttpStatusCode.OK, await AddSpareKeyAsync(citizen, spare));
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, citizen.Key));
        using var copy = citizen.Key.Clone();
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, citizen.Key));

        // The copy's counter lags behind the original's: the key has two lives.
        var cloned = await SignInWithAsync(citizen, copy);
        var originalAfterwards = await SignInWithAsync(citizen, citizen.Key);

        await Expect.Status(HttpStatusCode.BadRequest, cloned);
        Assert.StartsWith("Đăng nhập bị từ chối: bộ đếm chữ ký", (await ProblemAsync(cloned)).Detail, StringComparison.Ordinal);
        await Expect.Status(HttpStatusCode.BadRequest, originalAfterwards);
        Assert.Contains("đang bị tạm khóa", (await ProblemAsync(originalAfterwards)).Detail, StringComparison.Ordinal);
        var record = await CredentialAsync(citizen.Key.CredentialIds.Single());
        Assert.Equal((PasskeyStatus.Suspended, PasskeyStatusReasons.CounterRegression), (record.Status, record.StatusReason));
        Assert.Contains(await AuditAsync(personId), e => e.Type == "passkey.suspended" && e.Detail == PasskeyStatusReasons.CounterRegression);

        // The session the key had started is over; the spare key still works and shows what happened.
        Assert.Equal(HttpStatusCode.Redirect, (await citizen.Browser.GetAsync("/account", Ct)).StatusCode);
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, spare));
        var account = await citizen.Browser.GetStringAsync("/account", Ct);
        Assert.Contains("class=\"key-status\">Tạm khóa<", account, StringComparison.Ordinal);
        Assert.Contains("dấu hiệu khóa đã bị sao chép", account, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forged_assertion_with_a_lower_counter_does_not_suspend_the_key()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, citizen.Key));
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, citizen.Key));

        // Someone without the private key sends a low counter: the signature fails first.
        using var forger = citizen.Key.Clone();
        forger.NextSignCount = 1;
        forger.TamperNextSignature = true;
        var forged = await SignInWithAsync(citizen, forger);
        var genuine = await SignInWithAsync(citizen, citizen.Key);

        await Expect.Status(HttpStatusCode.BadRequest, forged);
        await Expect.Status(HttpStatusCode.OK, genuine);
        Assert.Equal(PasskeyStatus.Active, (await CredentialAsync(citizen.Key.CredentialIds.Single())).Status);
    }

    [Theory]
    [InlineData("userHandle")]
    [InlineData("origin")]
    public async Task Anonymous_request_naming_a_citizens_key_cannot_get_it_suspended(string whereTheBaitGoes)
    {
        var (victim, _, nationalId) = await _server.ActivatedCitizenAsync();
        using var _ = victim;
        using var attacker = new Citizen(_server);
        var (ceremonyId, options) = await attacker.BeginSignInAsync(nationalId);
        var challenge = System.Text.Json.JsonDocument.Parse(options).RootElement.GetProperty("challenge").GetString();
        var bait = "The authenticator's signature counter is unexpectedly less than or equal to the stored signature counter.";
        var clientData = System.Text.Json.JsonSerializer.Serialize(new
        {
            type = "webauthn.get",
            challenge,
            origin = whereTheBaitGoes == "origin" ? bait : EIdentityServerFactory.Origin,
        });
        var id = victim.Key.CredentialIds.Single();
        var forged = System.Text.Json.JsonSerializer.Serialize(new
        {
            id,
            rawId = id,
            type = "public-key",
            clientExtensionResults = new { },
            response = new
            {
                clientDataJSON = B64(System.Text.Encoding.UTF8.GetBytes(clientData)),
                authenticatorData = B64(new byte[37]),
                signature = B64(new byte[64]),
                userHandle = whereTheBaitGoes == "userHandle" ? B64(System.Text.Encoding.UTF8.GetBytes(bait)) : null,
            },
        });

        var refused = await attacker.FinishSignInAsync(ceremonyId, forged);

        await Expect.Status(HttpStatusCode.BadRequest, refused);
        Assert.Equal(PasskeyStatus.Active, (await CredentialAsync(id)).Status);
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(victim, victim.Key));

        static string B64(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
    }

    [Fact]
    public async Task Account_page_lists_each_key_with_its_level_and_when_it_was_last_used()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        var beforeUse = await citizen.Browser.GetStringAsync("/account", Ct);
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, citizen.Key));
        var afterUse = await citizen.Browser.GetStringAsync("/account", Ct);

        Assert.Contains("class=\"key-name\">Khóa bảo mật 1<", afterUse, StringComparison.Ordinal);
        Assert.Contains("class=\"key-level\">Đáng kể<", afterUse, StringComparison.Ordinal);
        Assert.Contains("class=\"key-model\">Không xác định<", afterUse, StringComparison.Ordinal);
        Assert.Contains("<dd>Chưa dùng</dd>", beforeUse, StringComparison.Ordinal);
        Assert.DoesNotContain("<dd>Chưa dùng</dd>", afterUse, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Citizen_renames_a_key_and_sees_the_new_name()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;

        var renamed = await PostFormAsync(citizen.Browser, "/account?handler=Rename", new()
        {
            ["credentialId"] = citizen.Key.CredentialIds.Single(),
            ["name"] = "YubiKey ở cơ quan",
        });
        var account = await citizen.Browser.GetStringAsync("/account", Ct);

        Assert.Equal(HttpStatusCode.Redirect, renamed.StatusCode);
        Assert.Contains("class=\"key-name\">YubiKey ở cơ quan<", account, StringComparison.Ordinal);
        Assert.Contains("Đã đổi tên khóa.", account, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Một cái tên dài quá mức cho phép của một chiếc khóa bảo mật phần cứng")]
    public async Task Key_name_that_is_empty_or_too_long_is_refused_and_the_old_name_stays(string name)
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;

        var renamed = await PostFormAsync(citizen.Browser, "/account?handler=Rename", new()
        {
            ["credentialId"] = citizen.Key.CredentialIds.Single(),
            ["name"] = name,
        });
        var page = await renamed.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, renamed.StatusCode);
        Assert.Contains("Tên khóa phải có từ 1 đến 60 ký tự.", page, StringComparison.Ordinal);
        Assert.Contains("class=\"key-name\">Khóa bảo mật 1<", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Removing_a_spare_key_needs_no_confirmation_and_the_key_stops_signing_in()
    {
        var (citizen, personId, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        using var spare = new SoftwareAuthenticator(EIdentityServerFactory.Origin);
        await Expect.Status(HttpStatusCode.OK, await AddSpareKeyAsync(citizen, spare));
        var spareId = spare.CredentialIds.Single();

        var confirmPage = await citizen.Browser.GetStringAsync($"/account/keys/remove?id={spareId}", Ct);
        var removed = await PostFormAsync(citizen.Browser, "/account/keys/remove", new() { ["id"] = spareId }, $"/account/keys/remove?id={spareId}");
        var signIn = await SignInWithAsync(citizen, spare);

        Assert.DoesNotContain("last-key-warning", confirmPage, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        await Expect.Status(HttpStatusCode.BadRequest, signIn);
        Assert.Contains(await AuditAsync(personId), e => e.Type == "passkey.removed" && e.Target == spareId);
    }

    [Fact]
    public async Task Removing_the_last_key_asks_for_confirmation_and_explains_how_to_recover()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        var id = citizen.Key.CredentialIds.Single();

        var confirmPage = await citizen.Browser.GetStringAsync($"/account/keys/remove?id={id}", Ct);
        var unconfirmed = await PostFormAsync(citizen.Browser, "/account/keys/remove", new() { ["id"] = id }, $"/account/keys/remove?id={id}");
        var stillThere = await SignInWithAsync(citizen, citizen.Key);
        var confirmed = await PostFormAsync(citizen.Browser, "/account/keys/remove", new() { ["id"] = id, ["confirmLast"] = "true" }, $"/account/keys/remove?id={id}");
        var gone = await SignInWithAsync(citizen, citizen.Key);

        Assert.Contains("id=\"last-key-warning\"", confirmPage, StringComparison.Ordinal);
        Assert.Contains("thư kích hoạt mới", confirmPage, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, unconfirmed.StatusCode);
        Assert.Contains("id=\"confirm-required\"", await unconfirmed.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        await Expect.Status(HttpStatusCode.OK, stillThere);
        Assert.Equal(HttpStatusCode.Redirect, confirmed.StatusCode);
        await Expect.Status(HttpStatusCode.BadRequest, gone);
    }

    [Fact]
    public async Task Someone_else_cannot_remove_or_rename_a_citizens_key()
    {
        var (owner, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = owner;
        var (other, _, _) = await _server.ActivatedCitizenAsync();
        using var __ = other;
        var id = owner.Key.CredentialIds.Single();

        var remove = await PostFormAsync(other.Browser, "/account/keys/remove", new() { ["id"] = id, ["confirmLast"] = "true" }, "/account");
        var rename = await PostFormAsync(other.Browser, "/account?handler=Rename", new() { ["credentialId"] = id, ["name"] = "stolen" });

        Assert.Equal(HttpStatusCode.NotFound, remove.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, rename.StatusCode);
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(owner, owner.Key));
    }

    [Theory]
    [InlineData("{0}==")]
    [InlineData(" {0}")]
    [InlineData("{0}\n")]
    public async Task Credential_id_spelled_another_way_names_no_key(string spelling)
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        var id = citizen.Key.CredentialIds.Single();
        var other = string.Format(System.Globalization.CultureInfo.InvariantCulture, spelling, id);

        var removed = await PostFormAsync(citizen.Browser, "/account/keys/remove", new() { ["id"] = other, ["confirmLast"] = "true" });
        await using var scope = _server.Services.CreateAsyncScope();
        var (revoked, _) = await scope.ServiceProvider.GetRequiredService<PasskeyKeyring>().RevokeAsync(other, "test", null, Ct);

        Assert.Equal(HttpStatusCode.NotFound, removed.StatusCode);
        Assert.Equal(KeyringChange.NotFound, revoked);
        Assert.Equal(PasskeyStatus.Active, (await CredentialAsync(id)).Status);
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, citizen.Key));
    }

    [Fact]
    public async Task Portal_cannot_refresh_a_grant_whose_key_was_revoked()
    {
        var (citizen, _, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        var tokens = await EIdentity.Tests.Oidc.OidcTestKit.CodeFlowAsync(_server, citizen, TestPortals.PortalA, "openid offline_access");
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var refreshed = await portal.RefreshAsync(tokens.RefreshToken);
        Assert.Equal(200, refreshed.Status);

        await using (var scope = _server.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<PasskeyKeyring>().RevokeAsync(citizen.Key.CredentialIds.Single(), "test-officer", "lost", Ct);
        }

        Assert.Equal("invalid_grant", (await portal.RefreshAsync(refreshed.RefreshToken)).Error);
        Assert.True((await citizen.AuthorizeAsync(TestPortals.PortalB)).WentToLogin, "The revoked key's session still signs the citizen in to portals.");
    }

    [Fact]
    public async Task Adding_or_removing_a_key_long_after_signing_in_asks_to_sign_in_again()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = new EIdentityServerFactory(clock: clock);
        var (_, activation) = await server.CreateCitizenAsync(SignInSteps.NewNationalId());
        using var citizen = new Citizen(server);
        await citizen.ActivateAsync(activation);
        var id = citizen.Key.CredentialIds.Single();
        clock.Advance(TimeSpan.FromMinutes(11));

        var addStale = await citizen.Browser.PostAsJsonAsync("/api/passkeys/registration/options", new { }, Ct);
        var removePage = await citizen.Browser.GetStringAsync($"/account/keys/remove?id={id}", Ct);
        var removeStale = await PostFormAsync(citizen.Browser, "/account/keys/remove", new() { ["id"] = id, ["confirmLast"] = "true" }, $"/account/keys/remove?id={id}");
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, citizen.Key));
        var addFresh = await citizen.Browser.PostAsJsonAsync("/api/passkeys/registration/options", new { }, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, addStale.StatusCode);
        Assert.Contains("hãy đăng nhập lại", (await ProblemAsync(addStale)).Detail, StringComparison.Ordinal);
        Assert.Contains("id=\"sign-in-again\"", removePage, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, removeStale.StatusCode);
        await Expect.Status(HttpStatusCode.OK, addFresh);
    }

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient browser, string action, Dictionary<string, string> fields, string formPage = "/account")
    {
        var page = await browser.GetStringAsync(formPage, Ct);
        var token = AntiforgeryToken().Match(page);
        Assert.True(token.Success, "The page has no antiforgery token: " + page);
        fields["__RequestVerificationToken"] = token.Groups["token"].Value;
        return await browser.PostAsync(action, new FormUrlEncodedContent(fields), Ct);
    }

    private async Task<PasskeyCredential> CredentialAsync(string credentialId)
    {
        await using var scope = _server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EIdentityDbContext>().PasskeyCredentials.AsNoTracking()
            .SingleAsync(c => c.CredentialId == credentialId, Ct);
    }

    private async Task<List<EIdentity.Server.Audit.AuditEvent>> AuditAsync(Guid personId)
    {
        await using var scope = _server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EIdentityDbContext>().AuditEvents.AsNoTracking()
            .Where(e => e.PersonId == personId).ToListAsync(Ct);
    }

    [GeneratedRegex(""""name="__RequestVerificationToken" type="hidden" value="(?<token>[^"]+)"""")]
    private static partial Regex AntiforgeryToken();
}
