using System.Text.Encodings.Web;
using System.Text.Unicode;
using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.HttpOverrides;

namespace EIdentity.Server.Hosting;

internal static class ServerDefaults
{
    /// <summary>What every feature relies on: time, errors, pages, shared data-protection keys.</summary>
    public static WebApplicationBuilder AddServerDefaults(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddOptions<HostingOptions>().Bind(builder.Configuration);
        builder.Services.AddOptions<DemoOptions>().Bind(builder.Configuration.GetSection(DemoOptions.Section));
        builder.Services.AddProblemDetails();
        // Vietnamese letters lie outside Basic Latin: emit them as text rather than &#x...; references.
        builder.Services.AddWebEncoders(o => o.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));
        builder.Services.AddRazorPages();
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "eid.antiforgery";
            // Antiforgery refuses to issue a Secure-only cookie on plain HTTP: Development runs on http://localhost.
            o.Cookie.SecurePolicy = builder.Environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
        });

        // Keys that protect cookies and antiforgery tokens live in the database: every node shares them.
        builder.Services.AddDataProtection()
            .SetApplicationName("EIdentity")
            .PersistKeysToDbContext<EIdentityDbContext>();

        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IConfiguration>((o, configuration) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // Trusted proxies: loopback (ASP.NET Core's default) plus ForwardedHeaders:KnownProxies.
            // Set Oidc:Issuer in production so no forwarded header can change the issuer.
            foreach (var proxy in configuration.GetSection("ForwardedHeaders:KnownProxies").Get<string[]>() ?? [])
            {
                o.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
            }
        });
        return builder;
    }

    private static bool IsMachineEndpoint(PathString path) =>
        path.StartsWithSegments("/api")
        || path.StartsWithSegments("/.well-known")
        || path.StartsWithSegments("/connect/token")
        || path.StartsWithSegments("/connect/userinfo")
        || path.StartsWithSegments("/connect/introspect")
        || path.StartsWithSegments("/connect/revoke")
        || path.StartsWithSegments("/connect/par");

    public static WebApplication UseServerPipeline(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseMutualTlsListenerIsolation();
        app.UseExceptionHandler("/error");
        app.UseStatusCodePagesWithReExecute("/error/{0}");
        app.Use(static (http, next) =>
        {
            // Machine endpoints answer machines: their status codes stay without an HTML page.
            if (IsMachineEndpoint(http.Request.Path) && http.Features.Get<IStatusCodePagesFeature>() is { } pages)
            {
                pages.Enabled = false;
            }

            return next(http);
        });
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
            app.UseHttpsRedirection();
        }

        app.Use(static (http, next) =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            // Our pages run no inline script. The protocol endpoints are left out: OpenIddict's
            // form_post response is a self-submitting form with an inline script.
            if (!http.Request.Path.StartsWithSegments("/connect"))
            {
                headers.ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'; form-action 'self' http: https:; base-uri 'none'; object-src 'none'";
            }

            return next(http);
        });
        app.UseStaticFiles();
        app.UseRequestLocalization();
        app.UseRouting();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
