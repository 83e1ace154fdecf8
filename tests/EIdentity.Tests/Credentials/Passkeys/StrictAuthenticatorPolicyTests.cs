using System.Net;
using EIdentity.Server.Sessions;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;
using static EIdentity.Tests.Credentials.Passkeys.KeyCeremonies;

namespace EIdentity.Tests.Credentials.Passkeys;

/// <summary>The policy with <c>Passkeys:Policy:RequireKnownAuthenticator</c>: only keys of known models register.</summary>
public sealed class StrictAuthenticatorPolicyTests(StrictPolicyServer policy) : IClassFixture<StrictPolicyServer>
{
    [Fact]
    public async Task Key_whose_model_is_not_on_the_allow_list_is_refused()
    {
        policy.AllowModels(new AllowedModel(Guid.NewGuid(), "Another model", [policy.AttestationRoot.Certificate]));
        var (_, activation) = await policy.Server.CreateCitizenAsync(OidcTestKit.NewNationalId());
        using var citizen = new Citizen(policy.Server);
        citizen.Key.Attestation = PackedTestAttestation.WithCertificate(policy.AttestationRoot);
        citizen.Key.Aaguid = Guid.NewGuid();

        var response = await citizen.EnrolAsync(activation);

        await Expect.Status(HttpStatusCode.BadRequest, response);
        Assert.Contains("allowed authenticator models", (await ProblemAsync(response)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_without_attestation_is_refused()
    {
        policy.AllowModels();
        var (_, activation) = await policy.Server.CreateCitizenAsync(OidcTestKit.NewNationalId());
        using var citizen = new Citizen(policy.Server);

        var response = await citizen.EnrolAsync(activation);

        await Expect.Status(HttpStatusCode.BadRequest, response);
    }

    [Fact]
    public async Task Key_of_an_allowed_model_registers_at_high()
    {
        var aaguid = Guid.NewGuid();
        policy.AllowModels(new AllowedModel(aaguid, "Khóa được phép", [policy.AttestationRoot.Certificate]));
        var (_, activation) = await policy.Server.CreateCitizenAsync(OidcTestKit.NewNationalId());
        using var citizen = new Citizen(policy.Server);
        citizen.Key.Attestation = PackedTestAttestation.WithCertificate(policy.AttestationRoot);
        citizen.Key.Aaguid = aaguid;

        await citizen.ActivateAsync(activation);

        Assert.Equal(AuthenticationMethods.LoaHigh, (await policy.CredentialAsync(citizen.Key.CredentialIds.Single())).Level);
    }
}
