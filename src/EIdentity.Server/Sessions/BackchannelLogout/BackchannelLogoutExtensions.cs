using Microsoft.Extensions.Options;

namespace EIdentity.Server.Sessions.BackchannelLogout;

internal static class BackchannelLogoutExtensions
{
    public static WebApplicationBuilder AddBackchannelLogout(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<BackchannelLogoutOptions>()
            .Bind(builder.Configuration.GetSection(BackchannelLogoutOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => o.MaxBackoff >= o.InitialBackoff,
                $"{BackchannelLogoutOptions.Section}:MaxBackoff must not be shorter than InitialBackoff.")
            .ValidateOnStart();

        // A portal's logout endpoint is called server to server: a short timeout, no redirects
        // (the token goes to the registered URI or nowhere), no cookies.
        builder.Services.AddHttpClient(BackchannelLogoutSender.HttpClientName)
            .ConfigureHttpClient((services, client) =>
                client.Timeout = services.GetRequiredService<IOptions<BackchannelLogoutOptions>>().Value.Timeout)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

        builder.Services.AddSingleton<LogoutTokenIssuer>();
        builder.Services.AddSingleton<BackchannelLogoutSender>();
        builder.Services.AddHostedService<BackchannelLogoutWorker>();
        return builder;
    }
}
