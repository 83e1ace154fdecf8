using EIdentity.Server.Sessions.BackchannelLogout;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Sessions;

internal static class SessionsExtensions
{
    public static WebApplicationBuilder AddSessions(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SessionOptions>()
            .Bind(builder.Configuration.GetSection(SessionOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddScoped<SessionService>();
        builder.Services.AddSingleton<BackchannelLogoutSignal>();
        builder.AddBackchannelLogout();

        builder.Services.AddAuthentication(SessionService.Scheme)
            .AddCookie(SessionService.Scheme, cookie =>
            {
                cookie.LoginPath = "/account/login";
                cookie.LogoutPath = "/account/logout";
                cookie.AccessDeniedPath = "/account/login";
                cookie.ReturnUrlParameter = "returnUrl";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.Always;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.IsEssential = true;
                // The server-side session decides expiry; the cookie lives as long as the browser.
                cookie.SlidingExpiration = false;
                cookie.Events.OnValidatePrincipal = ValidateAgainstServerSessionAsync;
            });
        builder.Services.AddOptions<CookieAuthenticationOptions>(SessionService.Scheme)
            .Configure<IOptions<SessionOptions>>((cookie, sessions) =>
            {
                cookie.Cookie.Name = sessions.Value.CookieName;
                cookie.ExpireTimeSpan = sessions.Value.AbsoluteTimeout;
            });
        return builder;
    }

    // Every request re-checks the database row, so ending a session anywhere takes effect at once.
    private static async Task ValidateAgainstServerSessionAsync(CookieValidatePrincipalContext context)
    {
        var sessions = context.HttpContext.RequestServices.GetRequiredService<SessionService>();
        if (await sessions.ResolveAsync(context.Principal, context.HttpContext.RequestAborted) is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(SessionService.Scheme);
        }
    }
}
