using System.Buffers.Text;
using System.Data.Common;
using System.Security.Cryptography;
using EIdentity.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;

namespace EIdentity.Server.Oidc;

/// <summary>A signing key ready for OpenIddict: its row, its <c>kid</c> and the imported key.</summary>
internal sealed record SigningKey(ServerKey Row, string KeyId, SecurityKey Key, string Algorithm)
{
    public DateTimeOffset ActivatesAt => Row.ActivatesAt ?? Row.CreatedAt;

    public bool SignsAt(DateTimeOffset now) => ActivatesAt <= now;
}

/// <summary>
/// Loads the server's keys from the database, generating each on first run. Two nodes starting
/// together may both generate a key: the first insert wins and the other node reloads it.
/// Signing keys are read again by <see cref="ServerKeyRefresher"/>: a key rotated on any node (or by
/// the CLI) is published here within <c>Oidc:KeyRefreshInterval</c>, and OpenIddict's options are
/// rebuilt with it (<see cref="GetChangeToken"/>).
/// </summary>
internal sealed partial class ServerKeyStore(IServiceScopeFactory scopes, TimeProvider time, ILogger<ServerKeyStore> logger) : IDisposable
{
    public const string SigningEs256 = "signing-es256";
    public const string SigningRs256 = "signing-rs256";
    public const string EncryptionA256 = "encryption-a256kw";
    public const string PairwiseSecret = "pairwise-hmac";

    private Loaded? _loaded;
    private CancellationTokenSource _changed = new();
    private readonly Lock _gate = new();

    private sealed record Loaded(IReadOnlyDictionary<string, ServerKey> Keys, IReadOnlyList<SigningKey> Signing, string Fingerprint);

    public ServerKey Get(string id) => Load().Keys[id];

    public Task<byte[]> GetPairwiseSecretAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Get(PairwiseSecret).Material);

    /// <summary>Every signing key not yet retired (pending, signing and retiring ones), newest activation first.</summary>
    public IReadOnlyList<SigningKey> SigningKeys => Load().Signing;

    /// <summary>The key that signs with <paramref name="algorithm"/> now: the newest one already active.</summary>
    public SigningKey? Signer(string algorithm, DateTimeOffset now) =>
        SigningKeys.FirstOrDefault(k => k.Algorithm == algorithm && k.SignsAt(now));

    /// <summary>Fires when the set of published signing keys changes.</summary>
    public IChangeToken GetChangeToken()
    {
        lock (_gate)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }

    /// <summary>Reads the keys again; signals a change when a key was added, scheduled or retired.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        if (_loaded is not { } current)
        {
            // Nothing loaded yet: the first load also makes the keys a new database lacks.
            Load();
            return;
        }

        var rows = await ReadAsync(cancellationToken);
        if (current.Fingerprint == Fingerprint(rows, time.GetUtcNow()))
        {
            return;
        }

        // Only signing keys rotate; the others stay as first loaded.
        foreach (var (id, key) in current.Keys.Where(k => !k.Value.IsSigningKey))
        {
            rows[id] = key;
        }

        var fresh = Build(rows);
        _loaded = fresh;
        var published = string.Join(", ", fresh.Signing.Select(k => k.KeyId));
        LogKeysChanged(logger, published);
        await SignalAsync();
    }

    /// <summary>
    /// Fires the change token, so OpenIddict's options are built again. Also called by the refresher
    /// when an options instance built while the keys changed was cached with the old keys.
    /// </summary>
    public async Task SignalAsync()
    {
        CancellationTokenSource signal;
        lock (_gate)
        {
            signal = _changed;
            _changed = new CancellationTokenSource();
        }

        await signal.CancelAsync();
        signal.Dispose();
    }

    public void Dispose() => _changed.Dispose();

    private Loaded Load()
    {
        if (_loaded is { } loaded)
        {
            return loaded;
        }

        lock (_gate)
        {
            return _loaded ??= Build(LoadOrCreate());
        }
    }

    private Loaded Build(Dictionary<string, ServerKey> rows)
    {
        var now = time.GetUtcNow();
        var signing = Published(rows, now).Select(Import).ToList();
        return new Loaded(rows, signing, Fingerprint(rows, now));
    }

    private static IEnumerable<ServerKey> Published(Dictionary<string, ServerKey> rows, DateTimeOffset now) =>
        rows.Values
            .Where(k => k.IsSigningKey && !(k.RetiresAt <= now))
            .OrderByDescending(k => k.ActivatesAt ?? k.CreatedAt).ThenByDescending(k => k.CreatedAt);

    private static string Fingerprint(Dictionary<string, ServerKey> rows, DateTimeOffset now) =>
        string.Join(";", Published(rows, now).Select(k => $"{k.Id}|{k.ActivatesAt?.UtcTicks}|{k.RetiresAt?.UtcTicks}"));

    internal static SigningKey Import(ServerKey row)
    {
        if (row.Kind == "ES256")
        {
            var ec = ECDsa.Create();
            ec.ImportPkcs8PrivateKey(row.Material, out _);
            var kid = KeyId("es256", ec.ExportSubjectPublicKeyInfo());
            return new SigningKey(row, kid, new ECDsaSecurityKey(ec) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256);
        }

        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(row.Material, out _);
        var rsaKid = KeyId("rs256", rsa.ExportSubjectPublicKeyInfo());
        return new SigningKey(row, rsaKid, new RsaSecurityKey(rsa) { KeyId = rsaKid }, SecurityAlgorithms.RsaSha256);
    }

    /// <summary>A key id derived from the public key: the same on every node, different for every key.</summary>
    public static string KeyId(string prefix, byte[] material) =>
        prefix + "-" + Base64Url.EncodeToString(SHA256.HashData(material).AsSpan(0, 9));

    /// <summary>New private key material for a signing key of <paramref name="kind"/> (ES256 or RS256).</summary>
    public static byte[] GenerateSigningMaterial(string kind)
    {
        if (kind == "ES256")
        {
            using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return ec.ExportPkcs8PrivateKey();
        }

        using var rsa = RSA.Create(3072);
        return rsa.ExportPkcs8PrivateKey();
    }

    private async Task<Dictionary<string, ServerKey>> ReadAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        return await db.ServerKeys.AsNoTracking().ToDictionaryAsync(k => k.Id, cancellationToken);
    }

    private Dictionary<string, ServerKey> LoadOrCreate()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        var wanted = new (string Id, string Kind, Func<byte[]> Generate)[]
        {
            (SigningEs256, "ES256", () => GenerateSigningMaterial("ES256")),
            (SigningRs256, "RS256", () => GenerateSigningMaterial("RS256")),
            (EncryptionA256, "A256KW", () => RandomNumberGenerator.GetBytes(32)),
            (PairwiseSecret, "HS256", () => RandomNumberGenerator.GetBytes(32)),
        };

        var existing = db.ServerKeys.AsNoTracking().ToDictionary(k => k.Id);
        foreach (var (id, kind, generate) in wanted.Where(w => !existing.ContainsKey(w.Id)))
        {
            var key = new ServerKey { Id = id, Kind = kind, Material = generate(), CreatedAt = time.GetUtcNow() };
            try
            {
                db.ServerKeys.Add(key);
                db.SaveChanges();
                LogKeyGenerated(logger, id, kind);
            }
            catch (DbUpdateException)
            {
                // Another node inserted it first; use theirs.
                db.ChangeTracker.Clear();
            }
        }

        return db.ServerKeys.AsNoTracking().ToDictionary(k => k.Id);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Generated server key {KeyId} ({Kind}) and stored it in the database.")]
    private static partial void LogKeyGenerated(ILogger logger, string keyId, string kind);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Signing keys changed; published now: {KeyIds}.")]
    private static partial void LogKeysChanged(ILogger logger, string keyIds);
}

/// <summary>Reads the server keys again every <c>Oidc:KeyRefreshInterval</c>, so a rotation reaches every node.</summary>
internal sealed partial class ServerKeyRefresher(
    ServerKeyStore store,
    TimeProvider time,
    Microsoft.Extensions.Options.IOptions<OidcOptions> options,
    Microsoft.Extensions.Options.IOptionsMonitor<OpenIddict.Server.OpenIddictServerOptions> server,
    ILogger<ServerKeyRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.KeyRefreshInterval, time, stoppingToken);
                await store.RefreshAsync(stoppingToken);
                var used = server.CurrentValue.SigningCredentials.Select(c => c.Key.KeyId).ToHashSet(StringComparer.Ordinal);
                if (!used.SetEquals(store.SigningKeys.Select(k => k.KeyId)))
                {
                    await store.SignalAsync();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or CryptographicException)
            {
                // The database may be briefly unreachable; the keys already loaded keep working.
                LogRefreshFailed(logger, e);
            }
        }
    }

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Could not read the server keys again; keeping the ones loaded.")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
