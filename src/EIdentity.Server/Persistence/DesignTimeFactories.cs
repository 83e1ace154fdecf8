using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace EIdentity.Server.Persistence;

// Used only by `dotnet ef migrations add` to build the model of each provider; never at run time.
// Identity reads its schema version (Version3: passkeys) from the application's services, which
// design-time tooling lacks, so a minimal service provider supplies it.

internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteEIdentityDbContext>
{
    public SqliteEIdentityDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteEIdentityDbContext>()
            .UseSqlite("Data Source=design-time.db")
            .UseOpenIddict()
            .UseApplicationServiceProvider(DesignTimeServices.Identity())
            .Options);
}

internal sealed class PostgreSqlDesignTimeFactory : IDesignTimeDbContextFactory<PostgreSqlEIdentityDbContext>
{
    public PostgreSqlEIdentityDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgreSqlEIdentityDbContext>()
            .UseNpgsql("Host=localhost;Database=design_time")
            .UseOpenIddict()
            .UseApplicationServiceProvider(DesignTimeServices.Identity())
            .Options);
}

internal static class DesignTimeServices
{
    public static IServiceProvider Identity() => new ServiceCollection()
        .Configure<IdentityOptions>(o => o.Stores.SchemaVersion = IdentitySchemaVersions.Version3)
        .BuildServiceProvider();
}
