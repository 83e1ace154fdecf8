using System.Net;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Oidc;

public sealed class SingleSignOnTests(OidcServerFixture fixture) : IClassFixture<OidcServerFixture>
{
    private readonly EIdentityServerFactory _server = fixture.Server;

    [Fact]
    public async Task Citizen_signed_in_for_portal_A_reaches_portal_B_without_signing_in_again()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA);

        var attempt = await citizen.Citizen.AuthorizeAsync(TestPortals.PortalB);

        Assert.Equal(HttpStatusCode.Redirect, attempt.Response.StatusCode);
        Assert.True(OidcTestKit.RedirectsTo(attempt.Response, TestPortals.PortalB.RedirectUri!), $"Went to {attempt.Location}");
        Assert.Equal(attempt.State, attempt.CallbackParameters["state"]);
        using var portalB = new PortalBackChannel(_server, TestPortals.PortalB);
        var tokens = await portalB.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);
        Assert.Equal(200, tokens.Status);
    }

    [Fact]
    public async Task Two_portals_see_different_subjects_for_the_same_citizen()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var atA = TokenResponse.Claims((await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA)).IdToken);
        var atB = TokenResponse.Claims((await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalB)).IdToken);

        Assert.Equal(atA.GetProperty("sid").GetString(), atB.GetProperty("sid").GetString());
        Assert.NotEqual(atA.GetProperty("sub").GetString(), atB.GetProperty("sub").GetString());
    }

    [Fact]
    public async Task Same_portal_sees_the_same_subject_in_two_sign_ins_of_one_session()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);

        var first = TokenResponse.Claims((await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA)).IdToken);
        var second = TokenResponse.Claims((await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA)).IdToken);

        Assert.Equal(first.GetProperty("sub").GetString(), second.GetProperty("sub").GetString());
    }

    [Fact]
    public async Task Subject_at_a_portal_is_stable_across_sessions()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var before = TokenResponse.Claims((await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA)).IdToken);

        await OidcTestKit.SignOutAsync(_server, citizen.Citizen);
        await Expect.Status(HttpStatusCode.OK, await citizen.Citizen.SignInAsync(citizen.NationalId));

        var after = TokenResponse.Claims((await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA)).IdToken);
        Assert.NotEqual(before.GetProperty("sid").GetString(), after.GetProperty("sid").GetString());
        Assert.Equal(before.GetProperty("sub").GetString(), after.GetProperty("sub").GetString());
    }

    [Fact]
    public async Task Two_citizens_get_different_subjects_at_the_same_portal()
    {
        using var first = await OidcTestKit.SignedInCitizenAsync(_server);
        using var second = await OidcTestKit.SignedInCitizenAsync(_server);

        var one = TokenResponse.Claims((await OidcTestKit.CodeFlowAsync(_server, first.Citizen, TestPortals.PortalA)).IdToken);
        var two = TokenResponse.Claims((await OidcTestKit.CodeFlowAsync(_server, second.Citizen, TestPortals.PortalA)).IdToken);

        Assert.NotEqual(one.GetProperty("sub").GetString(), two.GetProperty("sub").GetString());
    }
}
