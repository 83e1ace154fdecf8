using System.ComponentModel.DataAnnotations;

namespace EIdentity.Server.Persistence;

internal enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
}

/// <summary>SQLite's <c>PRAGMA synchronous</c> for the embedded database (always in WAL mode).</summary>
internal enum SqliteSynchronous
{
    /// <summary>Sync the write-ahead log at checkpoints: a crashed or killed server loses nothing; a power cut may lose the last commits.</summary>
    Normal,

    /// <summary>Sync on every commit: survives a power cut too, at one fsync per write.</summary>
    Full,
}

/// <summary>Settings under <c>Database</c>.</summary>
internal sealed class PersistenceOptions
{
    public const string Section = "Database";

    /// <summary><c>Sqlite</c> (embedded default) or <c>PostgreSql</c> (production, scale-out).</summary>
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>
    /// Connection string. For SQLite it may be left empty: the database is then
    /// <c>{DataDirectory}/eidentity.db</c>. PostgreSQL requires it.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>Folder for the embedded database; created on first run.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// SQLite only: <c>Normal</c> (default) or <c>Full</c>. See docs/adr/0010 and docs/operations.md;
    /// PostgreSQL keeps its own <c>synchronous_commit</c>.
    /// </summary>
    public SqliteSynchronous SqliteSynchronous { get; set; } = SqliteSynchronous.Normal;

    /// <summary>Apply pending migrations when the server starts. Turn off in production and run <c>db migrate</c>.</summary>
    public bool MigrateOnStartup { get; set; } = true;

    public string ResolveConnectionString(string contentRoot)
    {
        if (!string.IsNullOrWhiteSpace(ConnectionString))
        {
            return ConnectionString;
        }

        if (Provider != DatabaseProvider.Sqlite)
        {
            throw new InvalidOperationException(
                "Database:ConnectionString is required when Database:Provider is PostgreSql.");
        }

        var folder = Path.GetFullPath(DataDirectory, contentRoot);
        Directory.CreateDirectory(folder);
        return $"Data Source={Path.Combine(folder, "eidentity.db")}";
    }
}
