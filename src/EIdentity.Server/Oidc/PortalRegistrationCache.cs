using System.Collections.Concurrent;
using EIdentity.Server.Persistence;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;

namespace EIdentity.Server.Oidc;

/// <summary>
/// The portal registrations this node has read recently, shared by every request: a copy of each
/// OpenIddict application row, kept for <see cref="OidcOptions.PortalCacheLifetime"/>.
/// </summary>
/// <remarks>
/// Every token, introspection and authorization request looks its portal up; OpenIddict caches
/// that lookup for one request only, so each request paid a database query for a row that changes
/// a few times a year. A change made through this node's <c>IOpenIddictApplicationManager</c> evicts
/// at once; a change made elsewhere (the CLI is another process, or another node) is seen when the
/// copy expires. Unknown client ids are never remembered. See docs/adr/0010-cost-of-a-token-request.md.
/// </remarks>
internal sealed class PortalSnapshots(TimeProvider time, IOptions<OidcOptions> options)
{
    private readonly ConcurrentDictionary<string, Snapshot> byClientId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Snapshot> byId = new(StringComparer.Ordinal);
    private long generation;

    private sealed record Snapshot(OpenIddictEntityFrameworkCoreApplication Row, long ExpiresAt);

    public bool Enabled => options.Value.PortalCacheLifetime > TimeSpan.Zero;

    /// <summary>Changes with every eviction: a copy read before an eviction is not stored after it.</summary>
    public long Generation => Interlocked.Read(ref generation);

    public OpenIddictEntityFrameworkCoreApplication? FindByClientId(string clientId) => Find(byClientId, clientId);

    public OpenIddictEntityFrameworkCoreApplication? FindById(string id) => Find(byId, id);

    /// <summary>Remembers a copy of <paramref name="application"/>, unless something was evicted since <paramref name="readAt"/>.</summary>
    public void Add(OpenIddictEntityFrameworkCoreApplication application, long readAt)
    {
        if (!Enabled || application.Id is null || application.ClientId is null)
        {
            return;
        }

        var snapshot = new Snapshot(Copy(application), time.GetTimestamp() + (long)(options.Value.PortalCacheLifetime.TotalSeconds * time.TimestampFrequency));
        lock (byId)
        {
            if (readAt != Generation)
            {
                return;
            }

            byId[application.Id] = snapshot;
            byClientId[application.ClientId] = snapshot;
        }
    }

    /// <summary>Forgets <paramref name="application"/> (by id and by client id) on this node.</summary>
    public void Remove(OpenIddictEntityFrameworkCoreApplication application)
    {
        lock (byId)
        {
            Interlocked.Increment(ref generation);
            if (application.Id is not null && byId.TryRemove(application.Id, out var old) && old.Row.ClientId is not null)
            {
                byClientId.TryRemove(old.Row.ClientId, out _);
            }

            if (application.ClientId is not null)
            {
                byClientId.TryRemove(application.ClientId, out _);
            }
        }
    }

    private OpenIddictEntityFrameworkCoreApplication? Find(ConcurrentDictionary<string, Snapshot> index, string key)
    {
        if (!index.TryGetValue(key, out var snapshot))
        {
            return null;
        }

        if (time.GetTimestamp() < snapshot.ExpiresAt)
        {
            return Copy(snapshot.Row);
        }

        index.TryRemove(new KeyValuePair<string, Snapshot>(key, snapshot));
        return null;
    }

    /// <summary>A detached copy of every mapped column (the navigations stay empty).</summary>
    public static OpenIddictEntityFrameworkCoreApplication Copy(OpenIddictEntityFrameworkCoreApplication source) => new()
    {
        Id = source.Id,
        ApplicationType = source.ApplicationType,
        ClientId = source.ClientId,
        ClientSecret = source.ClientSecret,
        ClientType = source.ClientType,
        ConcurrencyToken = source.ConcurrencyToken,
        ConsentType = source.ConsentType,
        DisplayName = source.DisplayName,
        DisplayNames = source.DisplayNames,
        JsonWebKeySet = source.JsonWebKeySet,
        Permissions = source.Permissions,
        PostLogoutRedirectUris = source.PostLogoutRedirectUris,
        Properties = source.Properties,
        RedirectUris = source.RedirectUris,
        Requirements = source.Requirements,
        Settings = source.Settings,
    };
}

/// <summary>
/// OpenIddict's application cache for one request, backed by <see cref="PortalSnapshots"/>: a
/// portal found there is attached to this request's DbContext as unchanged, so the token that
/// references it is inserted without reading the portal again.
/// </summary>
internal sealed class PortalApplicationCache(
    PortalSnapshots snapshots,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store,
    EIdentityDbContext db) : IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication>
{
    private readonly Dictionary<string, OpenIddictEntityFrameworkCoreApplication?> byClientId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OpenIddictEntityFrameworkCoreApplication?> byId = new(StringComparer.Ordinal);

    public ValueTask AddAsync(OpenIddictEntityFrameworkCoreApplication application, CancellationToken cancellationToken)
    {
        Remember(application);
        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveAsync(OpenIddictEntityFrameworkCoreApplication application, CancellationToken cancellationToken)
    {
        byClientId.Clear();
        byId.Clear();
        snapshots.Remove(application);
        return ValueTask.CompletedTask;
    }

    public ValueTask<OpenIddictEntityFrameworkCoreApplication?> FindByClientIdAsync(string identifier, CancellationToken cancellationToken) =>
        FindAsync(byClientId, identifier, snapshots.FindByClientId, store.FindByClientIdAsync, cancellationToken);

    public ValueTask<OpenIddictEntityFrameworkCoreApplication?> FindByIdAsync(string identifier, CancellationToken cancellationToken) =>
        FindAsync(byId, identifier, snapshots.FindById, store.FindByIdAsync, cancellationToken);

    // This request's answer, else a copy this node remembers, else the database (and remember it).
    private async ValueTask<OpenIddictEntityFrameworkCoreApplication?> FindAsync(
        Dictionary<string, OpenIddictEntityFrameworkCoreApplication?> thisRequest,
        string identifier,
        Func<string, OpenIddictEntityFrameworkCoreApplication?> remembered,
        Func<string, CancellationToken, ValueTask<OpenIddictEntityFrameworkCoreApplication?>> read,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        if (thisRequest.TryGetValue(identifier, out var known))
        {
            return known;
        }

        if (remembered(identifier) is { } copy)
        {
            return Remember(Attach(copy));
        }

        var readAt = snapshots.Generation;
        var application = await read(identifier, cancellationToken);
        if (application is null)
        {
            thisRequest[identifier] = null;
            return null;
        }

        snapshots.Add(application, readAt);
        return Remember(application);
    }

    // Rare (end-session and registration checks): straight to the database, like OpenIddict without caching.
    public IAsyncEnumerable<OpenIddictEntityFrameworkCoreApplication> FindByPostLogoutRedirectUriAsync(string address, CancellationToken cancellationToken) =>
        store.FindByPostLogoutRedirectUriAsync(address, cancellationToken);

    public IAsyncEnumerable<OpenIddictEntityFrameworkCoreApplication> FindByRedirectUriAsync(string address, CancellationToken cancellationToken) =>
        store.FindByRedirectUriAsync(address, cancellationToken);

    private OpenIddictEntityFrameworkCoreApplication Remember(OpenIddictEntityFrameworkCoreApplication application)
    {
        if (application.Id is not null)
        {
            byId[application.Id] = application;
        }

        if (application.ClientId is not null)
        {
            byClientId[application.ClientId] = application;
        }

        return application;
    }

    // The same row already tracked by this request's context wins; otherwise the copy is tracked
    // as unchanged, exactly as if it had just been read.
    private OpenIddictEntityFrameworkCoreApplication Attach(OpenIddictEntityFrameworkCoreApplication copy)
    {
        if (db.Set<OpenIddictEntityFrameworkCoreApplication>().Local.FindEntry(copy.Id!) is { } tracked)
        {
            return tracked.Entity;
        }

        db.Attach(copy);
        return copy;
    }
}

internal static class PortalRegistrationCacheExtensions
{
    public static IServiceCollection AddPortalRegistrationCache(this IServiceCollection services)
    {
        services.AddSingleton<PortalSnapshots>();
        // A closed registration wins over OpenIddict's open generic one.
        services.AddScoped<IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication>, PortalApplicationCache>();
        return services;
    }
}
