using System.Security.Cryptography;
using EIdentity.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace EIdentity.Server.Oidc;

/// <summary>
/// Loads the server's keys from the database, generating each on first run. Two nodes starting
/// together may both generate a key: the first insert wins and the other node reloads it.
/// </summary>
internal sealed partial class ServerKeyStore(IServiceScopeFactory scopes, TimeProvider time, ILogger<ServerKeyStore> logger)
{
    public const string SigningEs256 = "signing-es256";
    public const string SigningRs256 = "signing-rs256";
    public const string EncryptionA256 = "encryption-a256kw";
    public const string PairwiseSecret = "pairwise-hmac";

    private IReadOnlyDictionary<string, ServerKey>? _loaded;
    private readonly Lock _gate = new();

    public ServerKey Get(string id) => LoadAll()[id];

    public Task<byte[]> GetPairwiseSecretAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Get(PairwiseSecret).Material);

    private IReadOnlyDictionary<string, ServerKey> LoadAll()
    {
        if (_loaded is { } loaded)
        {
            return loaded;
        }

        lock (_gate)
        {
            return _loaded ??= LoadOrCreate();
        }
    }

    private Dictionary<string, ServerKey> LoadOrCreate()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        var wanted = new (string Id, string Kind, Func<byte[]> Generate)[]
        {
            (SigningEs256, "ES256", () => { using var k = ECDsa.Create(ECCurve.NamedCurves.nistP256); return k.ExportPkcs8PrivateKey(); }),
            (SigningRs256, "RS256", () => { using var k = RSA.Create(3072); return k.ExportPkcs8PrivateKey(); }),
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
}
