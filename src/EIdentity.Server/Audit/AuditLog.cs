using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EIdentity.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace EIdentity.Server.Audit;

/// <summary>An event to append to the audit log.</summary>
internal sealed record AuditEntry(string Type, string Actor, Guid? PersonId = null, string? Target = null, string? Detail = null);

/// <summary>The result of recomputing the chain: the first row that does not fit, if any.</summary>
internal sealed record AuditVerification(long RowsChecked, long? FirstBrokenSequence, string? Problem)
{
    public bool IsIntact => FirstBrokenSequence is null;
}

/// <summary>
/// Appends hash-chained rows to the audit log. Each append runs in its own unit of work, after the
/// action it records has been saved. The chain has one tail, so appends queue: one at a time on a
/// node (a semaphore) and, on PostgreSQL, one at a time across nodes (a transaction-scoped advisory
/// lock taken before the tail is read). Should two writers still meet (two processes on one SQLite
/// file), the unique sequence number refuses the second and it retries; no gaps, no forks.
/// </summary>
internal sealed partial class AuditLog(IServiceScopeFactory scopes, TimeProvider time, ILogger<AuditLog> logger) : IDisposable
{
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";
    private const int MaxAttempts = 20;

    // Any fixed 64-bit key, the same on every node: "EIDAUDIT" in ASCII.
    private const long ChainLockKey = 0x4549_4441_5544_4954;
    private readonly SemaphoreSlim _appending = new(1, 1);

    public void Dispose() => _appending.Dispose();

    public async Task RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        await _appending.WaitAsync(cancellationToken);
        try
        {
            await AppendAsync(entry, cancellationToken);
        }
        finally
        {
            _appending.Release();
        }
    }

    private async Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (db.Database.IsNpgsql())
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({ChainLockKey})", cancellationToken);
            }

            var last = await db.AuditEvents.AsNoTracking().OrderByDescending(e => e.Sequence)
                .Select(e => new { e.Sequence, e.Hash }).FirstOrDefaultAsync(cancellationToken);
            var row = new AuditEvent
            {
                Sequence = (last?.Sequence ?? 0) + 1,
                OccurredAt = TruncateToStoredPrecision(time.GetUtcNow()),
                Type = entry.Type,
                PersonId = entry.PersonId,
                Actor = entry.Actor,
                Target = entry.Target,
                Detail = entry.Detail,
                PreviousHash = last?.Hash ?? GenesisHash,
            };
            row.Hash = HashOf(row);
            db.AuditEvents.Add(row);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                LogRecorded(logger, row.Sequence, row.Type, row.PersonId);
                return;
            }
            catch (DbUpdateException) when (attempt < MaxAttempts)
            {
                // Another node took this sequence number; read the new tail and try again.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10 * attempt)), cancellationToken);
            }
        }
    }

    /// <summary>Recomputes every row's hash and link, oldest first, and reports the first row that breaks the chain.</summary>
    public static async Task<AuditVerification> VerifyAsync(EIdentityDbContext db, CancellationToken cancellationToken = default)
    {
        var expectedPrevious = GenesisHash;
        long expectedSequence = 1;
        long checkedRows = 0;
        await foreach (var row in db.AuditEvents.AsNoTracking().OrderBy(e => e.Sequence).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (row.Sequence != expectedSequence)
            {
                return new(checkedRows, expectedSequence, $"Row {expectedSequence} is missing (the next row is {row.Sequence}).");
            }

            if (!string.Equals(row.PreviousHash, expectedPrevious, StringComparison.Ordinal))
            {
                return new(checkedRows, row.Sequence, $"Row {row.Sequence} does not link to the row before it.");
            }

            if (!string.Equals(HashOf(row), row.Hash, StringComparison.Ordinal))
            {
                return new(checkedRows, row.Sequence, $"Row {row.Sequence} was changed after it was written (its hash does not match its content).");
            }

            expectedPrevious = row.Hash;
            expectedSequence++;
            checkedRows++;
        }

        return new(checkedRows, null, null);
    }

    internal static string HashOf(AuditEvent row)
    {
        // Length-prefixed fields: no separator inside a value can shift one field into the next.
        var builder = new StringBuilder();
        Append(builder, row.Sequence.ToString(CultureInfo.InvariantCulture));
        Append(builder, row.OccurredAt.UtcTicks.ToString(CultureInfo.InvariantCulture));
        Append(builder, row.Type);
        Append(builder, row.PersonId?.ToString("D"));
        Append(builder, row.Actor);
        Append(builder, row.Target);
        Append(builder, row.Detail);
        Append(builder, row.PreviousHash);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));

        static void Append(StringBuilder builder, string? value)
        {
            if (value is null)
            {
                builder.Append("-1:");
                return;
            }

            builder.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);
        }
    }

    // The hash must cover exactly what the database returns: PostgreSQL keeps microseconds, SQLite
    // (DateTimeOffsetToBinaryConverter) keeps 1000-tick (100 µs) units. Truncate to the coarser of the two.
    private static DateTimeOffset TruncateToStoredPrecision(DateTimeOffset value)
        => new(value.UtcTicks - (value.UtcTicks % 1000), TimeSpan.Zero);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Audit event {Sequence} {Type} recorded (identity {PersonId}).")]
    private static partial void LogRecorded(ILogger logger, long sequence, string type, Guid? personId);
}
