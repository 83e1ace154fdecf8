using System.Globalization;
using Microsoft.AspNetCore.Localization;

namespace EIdentity.Server.Localization;

internal static class LocalizationExtensions
{
    public static readonly CultureInfo[] Supported = [new("vi"), new("en")];

    /// <summary>Vietnamese by default; English through the language switch (a cookie) or <c>?culture=en</c>.</summary>
    public static WebApplicationBuilder AddUiLocalization(this WebApplicationBuilder builder)
    {
        builder.Services.AddLocalization(o => o.ResourcesPath = "Resources");
        builder.Services.Configure<RequestLocalizationOptions>(o =>
        {
            o.DefaultRequestCulture = new RequestCulture("vi");
            o.SupportedCultures = Supported;
            o.SupportedUICultures = Supported;
            o.RequestCultureProviders =
            [
                new QueryStringRequestCultureProvider(),
                new CookieRequestCultureProvider(),
            ];
        });
        return builder;
    }

    public static IEndpointRouteBuilder MapLanguageSwitch(this IEndpointRouteBuilder app)
    {
        app.MapGet("/language/{culture}", (string culture, string? returnUrl, HttpContext http) =>
        {
            if (Supported.Any(c => c.Name == culture))
            {
                http.Response.Cookies.Append(
                    CookieRequestCultureProvider.DefaultCookieName,
                    CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
                    new CookieOptions { MaxAge = TimeSpan.FromDays(365), IsEssential = true, Secure = true, SameSite = SameSiteMode.Lax, HttpOnly = true });
            }

            return Results.LocalRedirect(Hosting.LocalUrl.OrHome(returnUrl));
        });
        return app;
    }
}
