using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Persistence;

internal static partial class PersistenceExtensions
{
    public static WebApplicationBuilder AddPersistence(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PersistenceOptions>()
            .Bind(builder.Configuration.GetSection(PersistenceOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => o.Provider != DatabaseProvider.PostgreSql || !string.IsNullOrWhiteSpace(o.ConnectionString),
                "Database:ConnectionString is required when Database:Provider is PostgreSql.")
            .ValidateOnStart();

        // Options are read when a context is first made, not while services are registered, so that
        // every configuration source (including a test host's) is in place.
        var contentRoot = builder.Environment.ContentRootPath;
        string ConnectionString(IServiceProvider services) =>
            services.GetRequiredService<IOptions<PersistenceOptions>>().Value.ResolveConnectionString(contentRoot);

        builder.Services.AddDbContext<SqliteEIdentityDbContext>((services, db) =>
            db.UseSqlite(ConnectionString(services)).UseOpenIddict());
        builder.Services.AddDbContext<PostgreSqlEIdentityDbContext>((services, db) =>
            db.UseNpgsql(ConnectionString(services)).UseOpenIddict());
        builder.Services.AddScoped<EIdentityDbContext>(services =>
            services.GetRequiredService<IOptions<PersistenceOptions>>().Value.Provider == DatabaseProvider.PostgreSql
                ? services.GetRequiredService<PostgreSqlEIdentityDbContext>()
                : services.GetRequiredService<SqliteEIdentityDbContext>());

        return builder;
    }

    /// <summary>Applies pending migrations when <c>Database:MigrateOnStartup</c> is on.</summary>
    public static async Task MigrateDatabaseIfConfiguredAsync(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<PersistenceOptions>>().Value;
        if (options.MigrateOnStartup)
        {
            await app.Services.MigrateDatabaseAsync();
        }
    }

    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EIdentityDbContext>();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("EIdentity.Persistence");
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
        await db.Database.MigrateAsync(cancellationToken);
        LogMigrated(logger, pending, db.Database.ProviderName ?? "?");
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Database ready: {Count} migration(s) applied ({Provider}).")]
    private static partial void LogMigrated(ILogger logger, int count, string provider);
}
