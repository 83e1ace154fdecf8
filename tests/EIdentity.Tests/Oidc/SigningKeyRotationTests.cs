using System.Text.Json;
using EIdentity.Server.Oidc;
using EIdentity.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace EIdentity.Tests.Oidc;

/// <summary>
/// Rotating the token signing keys, as a portal sees it through the JWKS and its tokens: the new
/// key is published before it signs, the old one stays published until what it signed expires,
/// and after a compromise the old one can be withdrawn at once.
/// </summary>
public sealed class SigningKeyRotationTests : IAsyncDisposable
{
    private static readonly TimeSpan PublishFor = TimeSpan.FromMinutes(5);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "eidentity-tests", "keys-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly EIdentityServerFactory _node;

    public SigningKeyRotationTests() => _node = Node(_clock);

    [Fact]
    public async Task A_rotated_key_is_published_first_then_signs_while_the_old_one_stays_published_until_its_tokens_expire()
    {
        using var portal = new PortalBackChannel(_node, TestPortals.Service);
        var before = await portal.ClientCredentialsAsync();
        var oldKid = Kid(before.AccessToken);
        Assert.Contains(oldKid, await PublishedKidsAsync());

        var rotation = await RotateAsync(PublishFor, retireNow: false);
        var newEs256 = rotation.Added.Single(k => k.Algorithm == "ES256").KeyId;
        var published = await PublishedKidsAsync();
        var duringPublication = await portal.ClientCredentialsAsync();

        Assert.Contains(newEs256, published);
        Assert.Contains(oldKid, published);
        Assert.Equal(oldKid, Kid(duringPublication.AccessToken));

        _clock.Advance(PublishFor + TimeSpan.FromSeconds(1));
        var after = await portal.ClientCredentialsAsync();

        Assert.Equal(newEs256, Kid(after.AccessToken));
        Assert.True(await ValidAgainstJwksAsync(before.AccessToken), "a token signed before the rotation still validates");
        Assert.True(await ValidAgainstJwksAsync(after.AccessToken));

        var superseded = rotation.Superseded.Single(k => k.Algorithm == "ES256");
        _clock.SetUtcNow(superseded.RetiresAt!.Value + TimeSpan.FromSeconds(1));
        var afterRetirement = await SettledKidsAsync(kids => !kids.Contains(oldKid));
        Assert.DoesNotContain(oldKid, afterRetirement);
        Assert.Contains(newEs256, afterRetirement);
    }

    [Fact]
    public async Task A_refresh_token_issued_before_the_rotation_still_refreshes_and_gets_tokens_signed_with_the_new_keys()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_node);
        var tokens = await OidcTestKit.CodeFlowAsync(_node, citizen.Citizen, TestPortals.PortalA, "openid offline_access");
        using var portal = new PortalBackChannel(_node, TestPortals.PortalA);

        var rotation = await RotateAsync(PublishFor, retireNow: false);
        _clock.Advance(PublishFor + TimeSpan.FromSeconds(1));
        var refreshed = await portal.RefreshAsync(tokens.RefreshToken);

        Assert.True(refreshed.Status == 200, refreshed.Raw);
        Assert.Equal(rotation.Added.Single(k => k.Algorithm == "RS256").KeyId, Kid(refreshed.IdToken));
        Assert.Equal(rotation.Added.Single(k => k.Algorithm == "ES256").KeyId, Kid(refreshed.AccessToken));
    }

    [Fact]
    public async Task Retiring_now_after_a_compromise_refuses_every_token_the_old_keys_signed()
    {
        using var citizen = await OidcTestKit.SignedInCitizenAsync(_node);
        var tokens = await OidcTestKit.CodeFlowAsync(_node, citizen.Citizen, TestPortals.PortalA, "openid offline_access");
        using var portal = new PortalBackChannel(_node, TestPortals.PortalA);
        var oldKid = Kid(tokens.AccessToken);

        var rotation = await RotateAsync(TimeSpan.Zero, retireNow: true);
        var introspection = await portal.IntrospectAsync(tokens.AccessToken);
        var refresh = await portal.RefreshAsync(tokens.RefreshToken);
        var fresh = await new PortalBackChannel(_node, TestPortals.Service).ClientCredentialsAsync();

        Assert.DoesNotContain(oldKid, await PublishedKidsAsync());
        Assert.False(await ValidAgainstJwksAsync(tokens.AccessToken));
        Assert.Equal("false", introspection.Json.GetProperty("active").GetRawText());
        Assert.Equal((400, "invalid_grant"), (refresh.Status, refresh.Error));
        Assert.Equal(rotation.Added.Single(k => k.Algorithm == "ES256").KeyId, Kid(fresh.AccessToken));
    }

    [Fact]
    public async Task A_rotation_made_on_another_node_is_published_here_within_the_refresh_interval()
    {
        var oldKids = await PublishedKidsAsync();
        await using var other = Node(clock: null);
        await using (var scope = other.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ServerKeyRotation>().RotateAsync(TimeSpan.FromHours(1), retireNow: false, "test");
        }

        _clock.Advance(TimeSpan.FromSeconds(2));
        var published = oldKids;
        for (var i = 0; i < 100 && published.Count == oldKids.Count; i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            published = await PublishedKidsAsync();
        }

        Assert.Equal(oldKids.Count + 2, published.Count);
        Assert.Superset(oldKids.ToHashSet(), published.ToHashSet());
    }

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file on a slow machine; the temp directory is cleaned by the OS.
        }
    }

    private EIdentityServerFactory Node(TimeProvider? clock) => new(
        overrides: new()
        {
            ["Database:DataDirectory"] = _directory,
            ["Oidc:KeyRefreshInterval"] = "00:00:01",
        },
        clock: clock);

    private async Task<KeyRotation> RotateAsync(TimeSpan publishFor, bool retireNow)
    {
        KeyRotation rotation;
        await using (var scope = _node.Services.CreateAsyncScope())
        {
            rotation = await scope.ServiceProvider.GetRequiredService<ServerKeyRotation>().RotateAsync(publishFor, retireNow, "test");
        }

        await RefreshAsync(_node);
        return rotation;
    }

    // The node's refresher runs every second of the test clock: let it run until the JWKS shows the change.
    private async Task<List<string>> SettledKidsAsync(Func<List<string>, bool> settled)
    {
        await RefreshAsync(_node);
        var kids = await PublishedKidsAsync();
        for (var i = 0; i < 50 && !settled(kids); i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50, TestContext.Current.CancellationToken);
            kids = await PublishedKidsAsync();
        }

        return kids;
    }

    private static Task RefreshAsync(EIdentityServerFactory node) => node.Services.GetRequiredService<ServerKeyStore>().RefreshAsync();

    private async Task<List<string>> PublishedKidsAsync()
    {
        using var http = _node.CreateClient();
        using var jwks = JsonDocument.Parse(await http.GetStringAsync("/.well-known/jwks", TestContext.Current.CancellationToken));
        return [.. jwks.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)];
    }

    private async Task<bool> ValidAgainstJwksAsync(string token)
    {
        using var http = _node.CreateClient();
        var keys = new JsonWebKeySet(await http.GetStringAsync("/.well-known/jwks", TestContext.Current.CancellationToken));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = keys.GetSigningKeys(),
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            ValidTypes = ["at+jwt", "JWT"],
        });
        return result.IsValid;
    }

    private static string Kid(string jwt) => TokenResponse.Header(jwt).GetProperty("kid").GetString()!;
}
