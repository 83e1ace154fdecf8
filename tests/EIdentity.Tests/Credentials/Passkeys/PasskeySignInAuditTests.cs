using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using EIdentity.Server.Audit;
using EIdentity.Server.Credentials.Passkeys;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.SignIn;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static EIdentity.Tests.SignIn.SignInSteps;

namespace EIdentity.Tests.Credentials.Passkeys;

/// <summary>
/// Every refused passkey sign-in leaves a <c>passkey.signin_failed</c> row in the audit log, naming
/// the identity when it is known; a successful one is audited once, as the session it starts.
/// </summary>
public sealed class PasskeySignInAuditTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private const string AssertionOptions = "/api/passkeys/assertion/options";
    private const string Assertion = "/api/passkeys/assertion";
    private const string Failed = "passkey.signin_failed";

    private readonly EIdentityServerFactory _server = shared.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tampered_signature_is_audited_as_a_failed_sign_in_of_the_keys_owner()
    {
        var (citizen, personId, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        using var browser = _server.NewBrowser();
        citizen.Key.TamperNextSignature = true;

        await Expect.Status(HttpStatusCode.BadRequest, await SignInAsync(browser, citizen.Key));

        var row = Assert.Single(await AuditAsync(e => e.PersonId == personId && e.Type == Failed));
        Assert.Equal(citizen.Key.CredentialIds.Single(), row.Target);
        Assert.StartsWith("verification_failed: ", row.Detail, StringComparison.Ordinal);
        Assert.Single(await AuditAsync(e => e.PersonId == personId && e.Type == "session.started"));
    }

    [Fact]
    public async Task Key_nobody_registered_is_audited_against_the_identity_named_at_the_start_or_no_one()
    {
        var (citizen, personId, nationalId) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        using var stranger = await UnregisteredKeyAsync();
        using var browser = _server.NewBrowser();

        var named = await FinishWithoutAllowListAsync(browser, stranger, nationalId);
        var usernameLess = await SignInAsync(browser, stranger);

        Assert.Equal(HttpStatusCode.BadRequest, named.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, usernameLess.StatusCode);
        var strangerId = stranger.CredentialIds.Single();
        var rows = await AuditAsync(e => e.Type == Failed && e.Target == strangerId);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.StartsWith("unknown_credential: ", r.Detail, StringComparison.Ordinal));
        Assert.Equal([personId, null], rows.Select(r => r.PersonId));
    }

    [Fact]
    public async Task Sign_in_with_a_revoked_key_is_audited_as_revoked()
    {
        var (citizen, personId, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        await using (var scope = _server.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<PasskeyKeyring>().RevokeAsync(citizen.Key.CredentialIds.Single(), "officer-2", null, Ct);
        }

        using var browser = _server.NewBrowser();
        await Expect.Status(HttpStatusCode.BadRequest, await SignInAsync(browser, citizen.Key));

        var row = Assert.Single(await AuditAsync(e => e.PersonId == personId && e.Type == Failed));
        Assert.Equal(("credential_revoked", citizen.Key.CredentialIds.Single()), (row.Detail, row.Target));
    }

    [Fact]
    public async Task Sign_in_to_a_suspended_identity_is_audited()
    {
        var (citizen, personId, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        await _server.SuspendAsync(personId);
        using var browser = _server.NewBrowser();

        await Expect.Status(HttpStatusCode.BadRequest, await SignInAsync(browser, citizen.Key));

        Assert.Equal("identity_suspended", Assert.Single(await AuditAsync(e => e.PersonId == personId && e.Type == Failed)).Detail);
    }

    [Fact]
    public async Task Another_identitys_key_is_audited_as_an_attempt_on_the_identity_named()
    {
        var (victim, victimId, victimNationalId) = await _server.ActivatedCitizenAsync("Nạn Nhân");
        var (attacker, attackerId, _) = await _server.ActivatedCitizenAsync("Kẻ Gian");
        using var _ = victim;
        using var __ = attacker;
        using var browser = _server.NewBrowser();

        await Expect.Status(HttpStatusCode.BadRequest, await FinishWithoutAllowListAsync(browser, attacker.Key, victimNationalId));

        var row = Assert.Single(await AuditAsync(e => e.PersonId == victimId && e.Type == Failed));
        Assert.StartsWith("wrong_identity", row.Detail, StringComparison.Ordinal);
        Assert.Equal(attacker.Key.CredentialIds.Single(), row.Target);
        Assert.Empty(await AuditAsync(e => e.PersonId == attackerId && e.Type == Failed));
    }

    [Fact]
    public async Task Successful_sign_in_is_audited_once_as_the_session_it_starts()
    {
        var (citizen, personId, _) = await _server.ActivatedCitizenAsync();
        using var _ = citizen;
        var before = (await AuditAsync(e => e.PersonId == personId)).Max(e => e.Sequence);
        using var browser = _server.NewBrowser();

        await Expect.Status(HttpStatusCode.OK, await SignInAsync(browser, citizen.Key));

        var added = await AuditAsync(e => e.PersonId == personId && e.Sequence > before);
        Assert.Equal(["session.started"], added.Select(e => e.Type));
    }

    /// <summary>A key holding a credential made for this site that no identity ever registered.</summary>
    private async Task<SoftwareAuthenticator> UnregisteredKeyAsync()
    {
        var (_, code) = await _server.CreateCitizenAsync(NewNationalId());
        using var browser = _server.NewBrowser();
        var options = await browser.PostAsJsonAsync("/api/passkeys/registration/options", new { activationCode = code }, Ct);
        await Expect.Status(HttpStatusCode.OK, options);
        var key = new SoftwareAuthenticator(EIdentityServerFactory.Origin);
        key.Register((await options.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("options").GetRawText());
        return key;
    }

    /// <summary>Begins a sign-in naming <paramref name="nationalId"/>; the client ignores allowCredentials and answers with <paramref name="key"/>.</summary>
    private static async Task<HttpResponseMessage> FinishWithoutAllowListAsync(HttpClient browser, SoftwareAuthenticator key, string nationalId)
    {
        var (_, ceremonyId, options) = await BeginAsync(browser, AssertionOptions, new { nationalId });
        var request = JsonNode.Parse(options!)!.AsObject();
        request.Remove("allowCredentials");
        return await FinishAsync(browser, Assertion, ceremonyId, key.Assert(request.ToJsonString()));
    }

    private async Task<List<AuditEvent>> AuditAsync(System.Linq.Expressions.Expression<Func<AuditEvent, bool>> which)
    {
        List<AuditEvent> rows = [];
        await _server.InDatabaseAsync(async db => rows = await db.AuditEvents.AsNoTracking().Where(which).OrderBy(e => e.Sequence).ToListAsync(Ct));
        return rows;
    }
}
