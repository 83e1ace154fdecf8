using System.Net;
using EIdentity.Server.Credentials.Passkeys.Attestation;
using EIdentity.Server.Sessions;
using EIdentity.Tests.Credentials.Passkeys;
using EIdentity.Tests.Infrastructure;
using static EIdentity.Tests.Credentials.Passkeys.KeyCeremonies;

namespace EIdentity.Tests.Oidc;

/// <summary>
/// The level a portal gets is never lower than it needs — its acr_values, an acr it asked for as
/// essential in the claims parameter, the minimum it was registered with, whichever is strictest:
/// the citizen is asked once for a key that reaches it, else the portal hears
/// unmet_authentication_requirements. The ID token states the level reached.
/// </summary>
public sealed class AssuranceLevelTests(PolicyServer policy) : IClassFixture<PolicyServer>
{
    private const string Substantial = AuthenticationMethods.LoaSubstantial;
    private const string High = AuthenticationMethods.LoaHigh;

    private EIdentityServerFactory Server => policy.Server;

    [Fact]
    public async Task Portal_registered_for_high_refuses_a_substantial_citizen_even_when_it_asks_for_less()
    {
        using var citizen = await SubstantialOnlyCitizenAsync();

        var attempt = await citizen.AuthorizeAsync(TestPortals.HighOnly, "openid", new Dictionary<string, string?> { ["acr_values"] = Substantial });

        AssertRefused(attempt, TestPortals.HighOnly, "unmet_authentication_requirements");
    }

    [Fact]
    public async Task Portal_registered_for_high_asks_for_the_stronger_key_and_then_gets_high()
    {
        using var citizen = await CitizenSignedInWithTheSpareKeyAsync();

        var attempt = await citizen.AuthorizeAsync(TestPortals.HighOnly, "openid");
        var login = await citizen.Browser.GetStringAsync(attempt.Location);
        var back = await OidcTestKit.SignInAndReturnAsync(citizen, OidcTestKit.LoginReturnUrl(attempt));

        Assert.Contains("id=\"high-level-requested\"", login, StringComparison.Ordinal);
        var claims = await RedeemAsync(TestPortals.HighOnly, attempt with { Response = back });
        Assert.Equal(High, claims.GetProperty("acr").GetString());
        Assert.Contains("hwk", OidcTestKit.Strings(claims.GetProperty("amr")));
    }

    [Fact]
    public async Task Portal_registered_for_high_gets_a_code_at_once_from_a_high_session()
    {
        using var citizen = await HighCitizenAsync();

        var attempt = await citizen.AuthorizeAsync(TestPortals.HighOnly, "openid");

        Assert.Equal(High, (await RedeemAsync(TestPortals.HighOnly, attempt)).GetProperty("acr").GetString());
    }

    [Fact]
    public async Task Essential_acr_in_the_claims_parameter_is_unmet_without_a_key_reaching_it()
    {
        using var citizen = await SubstantialOnlyCitizenAsync();

        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid", Claims(essential: true, High));

        AssertRefused(attempt, TestPortals.PortalA, "unmet_authentication_requirements");
    }

    [Fact]
    public async Task Essential_acr_in_the_claims_parameter_asks_for_the_stronger_key()
    {
        using var citizen = await CitizenSignedInWithTheSpareKeyAsync();

        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid", Claims(essential: true, High));
        var login = await citizen.Browser.GetStringAsync(attempt.Location);
        var back = await OidcTestKit.SignInAndReturnAsync(citizen, OidcTestKit.LoginReturnUrl(attempt));

        Assert.Contains("id=\"high-level-requested\"", login, StringComparison.Ordinal);
        Assert.Equal(High, (await RedeemAsync(TestPortals.PortalA, attempt with { Response = back })).GetProperty("acr").GetString());
    }

    [Fact]
    public async Task Essential_acr_the_session_reaches_gives_a_code_stating_that_level()
    {
        using var citizen = await SubstantialOnlyCitizenAsync();

        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid", Claims(essential: true, Substantial));

        Assert.Equal(Substantial, (await RedeemAsync(TestPortals.PortalA, attempt)).GetProperty("acr").GetString());
    }

    [Fact]
    public async Task Voluntary_acr_in_the_claims_parameter_is_a_preference_and_the_id_token_states_the_level_reached()
    {
        using var citizen = await SubstantialOnlyCitizenAsync();

        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid", Claims(essential: false, High));

        Assert.Equal(Substantial, (await RedeemAsync(TestPortals.PortalA, attempt)).GetProperty("acr").GetString());
    }

    [Fact]
    public async Task Stricter_of_acr_values_and_an_essential_acr_applies()
    {
        using var citizen = await SubstantialOnlyCitizenAsync();
        var extra = Claims(essential: true, High);
        extra["acr_values"] = Substantial;

        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid", extra);

        AssertRefused(attempt, TestPortals.PortalA, "unmet_authentication_requirements");
    }

    [Fact]
    public async Task Essential_acr_naming_only_unknown_levels_is_unmet()
    {
        using var citizen = await SubstantialOnlyCitizenAsync();

        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid", Claims(essential: true, "urn:example:loa:3"));

        AssertRefused(attempt, TestPortals.PortalA, "unmet_authentication_requirements");
    }

    [Fact]
    public async Task Prompt_none_when_a_step_up_is_needed_never_shows_a_page()
    {
        using var citizen = await CitizenSignedInWithTheSpareKeyAsync();

        var attempt = await citizen.AuthorizeAsync(TestPortals.HighOnly, "openid", new Dictionary<string, string?> { ["prompt"] = "none" });

        AssertRefused(attempt, TestPortals.HighOnly, "unmet_authentication_requirements");
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"id_token":["acr"]}""")]
    [InlineData("""{"id_token":{"acr":true}}""")]
    [InlineData("""{"id_token":{"acr":{"essential":"yes"}}}""")]
    [InlineData("""{"id_token":{"acr":{"essential":true,"values":"urn:eidentity:loa:high"}}}""")]
    [InlineData("""{"id_token":{"acr":{"essential":true,"values":[3]}}}""")]
    public async Task Malformed_claims_parameter_is_invalid_request(string claims)
    {
        using var citizen = await SubstantialOnlyCitizenAsync();

        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid", new Dictionary<string, string?> { ["claims"] = claims });

        AssertRefused(attempt, TestPortals.PortalA, "invalid_request");
    }

    [Fact]
    public async Task Malformed_claims_parameter_is_refused_when_pushed()
    {
        using var portal = new PortalBackChannel(Server, TestPortals.PortalA);

        var pushed = await portal.PushAuthorizationRequestAsync(new()
        {
            ["redirect_uri"] = TestPortals.PortalA.RedirectUri,
            ["response_type"] = "code",
            ["scope"] = "openid",
            ["code_challenge"] = Pkce.Create().Challenge,
            ["code_challenge_method"] = "S256",
            ["claims"] = """{"id_token":{"acr":{"essential":1}}}""",
        });

        Assert.Equal((400, "invalid_request"), (pushed.Status, pushed.Error));
    }

    [Fact]
    public async Task Discovery_says_the_claims_parameter_is_supported()
    {
        using var http = Server.CreateClient();

        var metadata = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri("/.well-known/openid-configuration", UriKind.Relative))).RootElement;

        Assert.True(metadata.GetProperty("claims_parameter_supported").GetBoolean());
        Assert.Contains("acr", OidcTestKit.Strings(metadata.GetProperty("claims_supported")));
    }

    private static Dictionary<string, string?> Claims(bool essential, params string[] values) => new()
    {
        ["claims"] = System.Text.Json.JsonSerializer.Serialize(new { id_token = new { acr = new { essential, values } } }),
    };

    private static void AssertRefused(AuthorizationAttempt attempt, TestPortal portal, string error)
    {
        Assert.True(OidcTestKit.RedirectsTo(attempt.Response, portal.RedirectUri!), $"Went to {(int)attempt.Response.StatusCode} {attempt.Location}");
        Assert.Equal(error, attempt.Error);
        Assert.Equal(attempt.State, attempt.CallbackParameters["state"]);
        Assert.False(attempt.CallbackParameters.ContainsKey("code"), $"A code was issued: {attempt.Location}");
    }

    private async Task<System.Text.Json.JsonElement> RedeemAsync(TestPortal portal, AuthorizationAttempt attempt)
    {
        using var backChannel = new PortalBackChannel(Server, portal);
        var tokens = await backChannel.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);
        Assert.True(tokens.Status == 200, $"Code redemption failed: {tokens.Status} {tokens.Raw}");
        return TokenResponse.Claims(tokens.IdToken);
    }

    // A citizen whose only key has no attestation: substantial at most.
    private async Task<Citizen> SubstantialOnlyCitizenAsync()
    {
        policy.AllowModels();
        return await EnrolAsync(attestation: null);
    }

    // A citizen whose key is an attested hardware key of an allowed model: the session is high.
    private async Task<Citizen> HighCitizenAsync()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(aaguid, "Khóa FIDO2 thử nghiệm", [policy.AttestationRoot.Certificate]));
        return await EnrolAsync(PackedTestAttestation.WithCertificate(policy.AttestationRoot), aaguid);
    }

    // Holds a high key (Citizen.Key) but is signed in with a spare software key, at substantial.
    private async Task<Citizen> CitizenSignedInWithTheSpareKeyAsync()
    {
        var citizen = await HighCitizenAsync();
        using var phone = new SoftwareAuthenticator(EIdentityServerFactory.Origin);
        await Expect.Status(HttpStatusCode.OK, await AddSpareKeyAsync(citizen, phone));
        await Expect.Status(HttpStatusCode.OK, await SignInWithAsync(citizen, phone));
        return citizen;
    }

    private async Task<Citizen> EnrolAsync(TestAttestation? attestation, Guid aaguid = default)
    {
        var (_, activation) = await Server.CreateCitizenAsync(OidcTestKit.NewNationalId());
        var citizen = new Citizen(Server);
        citizen.Key.Attestation = attestation;
        citizen.Key.Aaguid = aaguid;
        await citizen.ActivateAsync(activation);
        return citizen;
    }
}
