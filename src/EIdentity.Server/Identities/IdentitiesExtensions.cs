namespace EIdentity.Server.Identities;

internal static class IdentitiesExtensions
{
    public static WebApplicationBuilder AddIdentities(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IdentitiesOptions>()
            .Bind(builder.Configuration.GetSection(IdentitiesOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // ASP.NET Core Identity stores people and their passkeys. No password, lockout or
        // token providers are registered: there is nothing to guess.
        builder.Services.AddIdentityCore<Person>(identity =>
            {
                identity.Stores.SchemaVersion = Microsoft.AspNetCore.Identity.IdentitySchemaVersions.Version3;
                identity.User.RequireUniqueEmail = false;
            })
            .AddEntityFrameworkStores<Persistence.EIdentityDbContext>();

        builder.Services.AddScoped<IdentityRegistry>();
        builder.Services.AddScoped<IdentityStatusService>();
        return builder;
    }
}
