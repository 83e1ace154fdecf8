using System.Net;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Oidc;

public sealed class CodeFlowTests : IAsyncLifetime
{
    private readonly EIdentityServerFactory _server = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Citizen_activates_a_key_signs_in_and_the_portal_receives_tokens_with_claims()
    {
        var (_, activation) = await _server.CreateCitizenAsync("001085000111", "Lê Văn Cường", "1985-01-31");
        using var citizen = new Citizen(_server);
        await citizen.ActivateAsync(activation);

        var attempt = await citizen.AuthorizeAsync(TestPortals.PortalA, "openid profile national_id offline_access");
        using var portal = new PortalBackChannel(_server, TestPortals.PortalA);
        var tokens = await portal.RedeemCodeAsync(attempt.Code, attempt.CodeVerifier);

        Assert.Equal(200, tokens.Status);
        var id = TokenResponse.Claims(tokens.IdToken);
        Assert.Equal("Lê Văn Cường", id.GetProperty("name").GetString());
        Assert.Equal("1985-01-31", id.GetProperty("birthdate").GetString());
        Assert.Equal("001085000111", id.GetProperty("national_id").GetString());
        Assert.Equal("urn:eidentity:loa:substantial", id.GetProperty("acr").GetString());
        Assert.True(id.TryGetProperty("auth_time", out _));
        Assert.Equal(attempt.Nonce, id.GetProperty("nonce").GetString());
        Assert.NotNull(tokens.RefreshToken);
    }
}
