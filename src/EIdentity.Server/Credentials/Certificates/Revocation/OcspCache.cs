using System.Collections.Concurrent;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.X509;

namespace EIdentity.Server.Credentials.Certificates.Revocation;

/// <summary>
/// OCSP answers (good or revoked) kept until their nextUpdate, so a citizen signing in twice does
/// not make the responder answer twice. An answer without nextUpdate is never kept: the responder
/// said nothing about how long it holds. Bounded: when full, the answers that expire soonest go.
/// </summary>
internal sealed class OcspCache
{
    public const int DefaultCapacity = 10_000;

    private readonly ConcurrentDictionary<(string IssuerKey, string Serial), Entry> _entries = new();
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly Lock _evicting = new();

    public OcspCache(TimeProvider time, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _time = time;
        _capacity = capacity;
    }

    public int Count => _entries.Count;

    /// <returns>The cached decision for the time asked, when one is still valid now.</returns>
    public RevocationCheck? Find(X509Certificate issuer, BigInteger serial, DateTimeOffset at)
    {
        var key = Key(issuer, serial);
        if (!_entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (_time.GetUtcNow() >= entry.NextUpdate)
        {
            _entries.TryRemove(KeyValuePair.Create(key, entry));
            return null;
        }

        return at >= entry.ThisUpdate && at < entry.NextUpdate ? entry.Check : null;
    }

    /// <summary>Keeps a good or revoked answer that has a nextUpdate still ahead; ignores anything else.</summary>
    public void Store(X509Certificate issuer, BigInteger serial, OcspAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.Check.Status == RevocationStatus.Unknown
            || answer is not { ThisUpdate: { } thisUpdate, NextUpdate: { } nextUpdate }
            || nextUpdate <= _time.GetUtcNow())
        {
            return;
        }

        if (_entries.Count >= _capacity)
        {
            Evict();
        }

        _entries[Key(issuer, serial)] = new Entry(answer.Check, thisUpdate, nextUpdate);
    }

    private void Evict()
    {
        lock (_evicting)
        {
            var now = _time.GetUtcNow();
            foreach (var expired in _entries.Where(e => e.Value.NextUpdate <= now))
            {
                _entries.TryRemove(expired);
            }

            // Still full: drop a tenth, soonest to expire first, rather than one per insert.
            var excess = _entries.Count - _capacity + Math.Max(1, _capacity / 10);
            if (excess > 0)
            {
                foreach (var soonest in _entries.OrderBy(e => e.Value.NextUpdate).Take(excess).ToList())
                {
                    _entries.TryRemove(soonest);
                }
            }
        }
    }

    private static (string, string) Key(X509Certificate issuer, BigInteger serial) => (RevocationIds.KeyHash(issuer), serial.ToString(16));

    private sealed record Entry(RevocationCheck Check, DateTimeOffset ThisUpdate, DateTimeOffset NextUpdate);
}
