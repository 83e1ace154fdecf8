using EIdentity.Server.Identities;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;
using EIdentity.Tests.SignIn;
using Microsoft.Extensions.DependencyInjection;

namespace EIdentity.Tests.Identities;

/// <summary>The suspension service's outcomes, whoever calls it (admin API, command line).</summary>
public sealed class IdentitySuspensionTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly EIdentityServerFactory _server = shared.Server;

    [Fact]
    public async Task Unknown_identity_is_not_found_and_nothing_is_audited()
    {
        var unknown = Guid.CreateVersion7();

        var suspended = await WithServiceAsync(s => s.SuspendAsync(unknown, "test", "officer-tests"));
        var reinstated = await WithServiceAsync(s => s.ReinstateAsync(unknown, null, "officer-tests"));

        Assert.Equal(IdentityStatusChange.NotFound, suspended.Change);
        Assert.Equal(IdentityStatusChange.NotFound, reinstated.Change);
        Assert.Empty(await Admin.AdminKit.AuditAsync(_server, unknown));
    }

    [Fact]
    public async Task Suspending_again_finishes_a_cascade_that_was_interrupted()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_server);
        var tokens = await OidcTestKit.CodeFlowAsync(_server, citizen.Citizen, TestPortals.PortalA, "openid offline_access");
        // The status was saved, then the node died before the cascade ran.
        await _server.SuspendAsync(citizen.PersonId);

        var repeated = await WithServiceAsync(s => s.SuspendAsync(citizen.PersonId, "retry", "officer-tests"));

        Assert.Equal((IdentityStatusChange.Unchanged, 1, 1), (repeated.Change, repeated.SessionsEnded, repeated.AuthorizationsRevoked));
        Assert.False(await Admin.AdminKit.IsActiveAsync(_server, TestPortals.PortalA, tokens.AccessToken));
        Assert.False(await Admin.AdminKit.IsActiveAsync(_server, TestPortals.PortalA, tokens.RefreshToken));
        Assert.DoesNotContain(await Admin.AdminKit.AuditAsync(_server, citizen.PersonId), e => e.Type == "identity.suspended");
    }

    private async Task<IdentityStatusResult> WithServiceAsync(Func<IdentityStatusService, Task<IdentityStatusResult>> action)
    {
        await using var scope = _server.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<IdentityStatusService>());
    }
}
