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
        // Identity's EF Core store with cheaper passkey lookups; one instance per request, shared
        // by UserManager and the passkey ceremonies so a sign-in reads its passkey row once.
        builder.Services.AddScoped<PersonStore>();
        builder.Services.AddScoped<Microsoft.AspNetCore.Identity.IUserStore<Person>>(services => services.GetRequiredService<PersonStore>());

        builder.Services.AddScoped<IdentityRegistry>();
        builder.Services.AddScoped<IdentityStatusService>();
        return builder;
    }
}
