using EIdentity.Server.Oidc;
using EIdentity.Server.Persistence;
using EIdentity.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenIddict.EntityFrameworkCore.Models;

namespace EIdentity.Tests.Oidc;

/// <summary>
/// A node reuses the portal registrations it has read for <c>Oidc:PortalCacheLifetime</c>: a
/// change made on the node applies at once, one made on another node (or by the CLI, another
/// process) within that time.
/// </summary>
public sealed class PortalRegistrationCacheTests : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "eidentity-tests", "portal-cache-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task A_secret_rotated_on_this_node_refuses_the_old_secret_at_once()
    {
        await using var node = Node(_clock);
        var first = ClientSecrets.Generate();
        var portal = await RegisterAsync(node, "svc-" + Guid.NewGuid().ToString("N")[..10], first);
        using var backChannel = new PortalBackChannel(node, portal);
        Assert.Equal(200, (await backChannel.ClientCredentialsAsync()).Status);

        var second = ClientSecrets.Generate();
        await RegisterAsync(node, portal.ClientId, second);

        var old = await backChannel.ClientCredentialsAsync(secret: first);
        var current = await backChannel.ClientCredentialsAsync(secret: second);
        Assert.Equal((401, "invalid_client"), (old.Status, old.Error));
        Assert.Equal(200, current.Status);
    }

    [Fact]
    public async Task A_secret_rotated_on_another_node_applies_here_when_the_copy_expires()
    {
        await using var nodeA = Node(_clock);
        var first = ClientSecrets.Generate();
        var portal = await RegisterAsync(nodeA, "svc-" + Guid.NewGuid().ToString("N")[..10], first);
        using var backChannel = new PortalBackChannel(nodeA, portal);
        Assert.Equal(200, (await backChannel.ClientCredentialsAsync()).Status);
        await using var nodeB = Node(clock: null);

        var second = ClientSecrets.Generate();
        await RegisterAsync(nodeB, portal.ClientId, second);

        // Within the lifetime node A still holds the registration it read (the documented bound).
        var stillCached = await backChannel.ClientCredentialsAsync(secret: first);
        _clock.Advance(Lifetime + TimeSpan.FromSeconds(1));
        var old = await backChannel.ClientCredentialsAsync(secret: first);
        var current = await backChannel.ClientCredentialsAsync(secret: second);

        Assert.Equal(200, stillCached.Status);
        Assert.Equal((401, "invalid_client"), (old.Status, old.Error));
        Assert.True(current.Status == 200, current.Raw);
    }

    [Fact]
    public async Task With_a_lifetime_of_zero_a_change_on_another_node_applies_at_once()
    {
        await using var nodeA = Node(_clock, lifetime: TimeSpan.Zero);
        var first = ClientSecrets.Generate();
        var portal = await RegisterAsync(nodeA, "svc-" + Guid.NewGuid().ToString("N")[..10], first);
        using var backChannel = new PortalBackChannel(nodeA, portal);
        Assert.Equal(200, (await backChannel.ClientCredentialsAsync()).Status);
        await using var nodeB = Node(clock: null);

        await RegisterAsync(nodeB, portal.ClientId, ClientSecrets.Generate());

        var old = await backChannel.ClientCredentialsAsync(secret: first);
        Assert.Equal((401, "invalid_client"), (old.Status, old.Error));
    }

    [Fact]
    public async Task Tokens_issued_from_a_remembered_registration_belong_to_the_portal()
    {
        await using var node = Node(_clock);
        var portal = await RegisterAsync(node, "svc-" + Guid.NewGuid().ToString("N")[..10], ClientSecrets.Generate());
        using var backChannel = new PortalBackChannel(node, portal);

        var tokens = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            tokens.Add((await backChannel.ClientCredentialsAsync()).AccessToken);
        }

        var introspection = await backChannel.IntrospectAsync(tokens[^1]);
        Assert.Equal("true", introspection.Json.GetProperty("active").GetRawText());
        Assert.Equal(portal.ClientId, introspection["client_id"]);
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        var owners = await db.Set<OpenIddictEntityFrameworkCoreToken>()
            .Where(t => t.Application!.ClientId == portal.ClientId).CountAsync(TestContext.Current.CancellationToken);
        Assert.Equal(3, owners);
    }

    [Fact]
    public void A_remembered_registration_copies_every_column()
    {
        using var node = new EIdentityServerFactory(overrides: new() { ["Database:DataDirectory"] = _directory });
        using var scope = node.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        var columns = db.Model.FindEntityType(typeof(OpenIddictEntityFrameworkCoreApplication))!.GetProperties().ToList();
        var original = new OpenIddictEntityFrameworkCoreApplication();
        foreach (var column in columns)
        {
            column.PropertyInfo!.SetValue(original, column.Name + "-value");
        }

        var copy = PortalSnapshots.Copy(original);

        Assert.NotEmpty(columns);
        Assert.All(columns, column => Assert.Equal(column.Name + "-value", column.PropertyInfo!.GetValue(copy)));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
            // SQLite may still hold the file on a slow machine; the temp directory is cleaned by the OS.
        }
    }

    private EIdentityServerFactory Node(TimeProvider? clock, TimeSpan? lifetime = null) => new(
        overrides: new()
        {
            ["Database:DataDirectory"] = _directory,
            ["Oidc:PortalCacheLifetime"] = (lifetime ?? Lifetime).ToString(),
        },
        clock: clock);

    private static Task<TestPortal> RegisterAsync(EIdentityServerFactory node, string clientId, string secret) =>
        OidcTestKit.RegisterServiceAsync(node, clientId, secret);
}
