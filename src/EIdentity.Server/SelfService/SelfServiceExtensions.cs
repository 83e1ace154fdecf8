namespace EIdentity.Server.SelfService;

/// <summary>
/// What the signed-in citizen's own pages (Pages/Account) read and do: their sessions, their
/// certificates and their activity history.
/// </summary>
internal static class SelfServiceExtensions
{
    public static WebApplicationBuilder AddSelfService(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<CitizenSessions>();
        builder.Services.AddScoped<CitizenCertificates>();
        builder.Services.AddScoped<ActivityHistory>();
        return builder;
    }
}
