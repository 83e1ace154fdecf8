using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Persistence;

/// <summary>
/// Applies <c>Database:SqliteSynchronous</c> to every SQLite connection EF Core opens
/// (<c>PRAGMA synchronous</c> is a per-connection setting). In WAL mode, <c>NORMAL</c> syncs the
/// log at checkpoints instead of on every commit: one fsync per write was the largest cost of a
/// token request on SQLite (docs/benchmarks.md).
/// </summary>
internal sealed class SqliteSynchronousSetting(IOptions<PersistenceOptions> options) : DbConnectionInterceptor
{
    private readonly string _pragma = "PRAGMA synchronous = " + (options.Value.SqliteSynchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL") + ";";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = _pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
