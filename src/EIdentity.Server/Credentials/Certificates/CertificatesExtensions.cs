using System.Net;
using System.Security.Cryptography.X509Certificates;
using EIdentity.Server.Credentials.Certificates.Development;
using EIdentity.Server.Credentials.Certificates.Revocation;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using SystemBigInteger = System.Numerics.BigInteger;

namespace EIdentity.Server.Credentials.Certificates;

internal static class CertificatesExtensions
{
    /// <summary>Certificate sign-in: trust store, live revocation, the sign-in engine and the mutual-TLS listener.</summary>
    public static WebApplicationBuilder AddCertificates(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<CertificateOptions>()
            .Bind(builder.Configuration.GetSection(CertificateOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrWhiteSpace(o.MutualTls.Url)
                    || (Uri.TryCreate(o.MutualTls.Url, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps && url.AbsolutePath == "/"),
                "Certificates:MutualTls:Url must be an https URL without a path, e.g. https://cert.id.example.gov.vn:443.")
            .Validate(o => string.IsNullOrWhiteSpace(o.MutualTls.Url) || !string.IsNullOrWhiteSpace(o.MutualTls.CertificatePath),
                "Certificates:MutualTls:CertificatePath (a PKCS#12 file) is required when Certificates:MutualTls:Url is set.")
            .ValidateOnStart();

        builder.Services.AddSingleton<CertificateTrustStore>();
        builder.Services.AddHttpClient(nameof(OcspClient));
        builder.Services.AddHttpClient(nameof(CrlDistributionPointFetcher));
        builder.Services.AddSingleton(sp => new OcspClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(OcspClient)),
            sp.GetRequiredService<IOptions<CertificateOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<OcspClient>>()));
        // One CRL cache per node, shared by every sign-in and refreshed in the background.
        builder.Services.AddSingleton(sp => new CrlDistributionPointFetcher(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(CrlDistributionPointFetcher)),
            sp.GetRequiredService<IOptions<CertificateOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CrlDistributionPointFetcher>>()));
        builder.Services.AddSingleton(sp => new OcspCache(sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddHostedService<CrlRefreshService>();
        builder.Services.AddSingleton<IRevocationSource>(sp =>
        {
            var trust = sp.GetRequiredService<CertificateTrustStore>();
            return new OnlineRevocationSource(trust.PolicyFor, sp.GetRequiredService<OcspClient>(), sp.GetRequiredService<OcspCache>(),
                sp.GetRequiredService<CrlDistributionPointFetcher>(), sp.GetRequiredService<ILogger<OnlineRevocationSource>>());
        });
        builder.Services.AddHostedService<CertificateTrustWarmUp>();
        builder.Services.AddScoped<CertificateSignIn>();
        builder.Services.AddScoped<CertificateBlockList>();

        var mutualTls = builder.Configuration.GetSection(CertificateOptions.Section).Get<CertificateOptions>()?.MutualTls;
        if (!string.IsNullOrWhiteSpace(mutualTls?.Url))
        {
            builder.AddMutualTlsListener(mutualTls);
        }

        return builder;
    }

    /// <summary>
    /// Adds the dedicated mutual-TLS listener next to the main one. Kestrel ignores ASPNETCORE_URLS
    /// once a listener is configured in code, so the main addresses are read from the same settings
    /// (urls, http_ports) and bound here too: ASPNETCORE_URLS keeps setting the main listener.
    /// </summary>
    private static void AddMutualTlsListener(this WebApplicationBuilder builder, MutualTlsOptions settings)
    {
        var contentRoot = builder.Environment.ContentRootPath;
        var main = MainAddresses(builder.Configuration);

        // HTTPS redirection picks "the" https address when none is configured: never the mTLS listener.
        var mainHttpsPort = main.FirstOrDefault(u => u.Scheme == Uri.UriSchemeHttps)?.Port;
        builder.Services.PostConfigure<Microsoft.AspNetCore.HttpsPolicy.HttpsRedirectionOptions>(o => o.HttpsPort ??= mainHttpsPort ?? 443);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var address in main)
            {
                Listen(kestrel, address, listen =>
                {
                    if (address.Scheme == Uri.UriSchemeHttps)
                    {
                        listen.UseHttps();
                    }
                });
            }

            var url = new Uri(settings.Url!);
            var serverCertificate = X509CertificateLoader.LoadPkcs12FromFile(
                CertificateTrustStore.ResolvePath(settings.CertificatePath!, contentRoot), settings.CertificatePassword);
            Listen(kestrel, url, listen =>
            {
                // TLS client certificates cannot be renegotiated under HTTP/2: this listener speaks HTTP/1.1.
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(next => connection =>
                {
                    connection.Items[CertificateEndpoints.MutualTlsConnection] = true;
                    return next(connection);
                });
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = serverCertificate,
                    // Ask for a certificate but let the request through without one, so the citizen
                    // gets a page instead of a TLS error; the application validates what arrives.
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = static (_, _, _) => true,
                    CheckCertificateRevocation = false,
                });
            });
        });
    }

    private static List<Uri> MainAddresses(ConfigurationManager configuration)
    {
        var urls = configuration["urls"];
        if (string.IsNullOrWhiteSpace(urls) && configuration["http_ports"] is { Length: > 0 } ports)
        {
            urls = string.Join(';', ports.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => $"http://*:{p.Trim()}"));
        }

        return [.. (string.IsNullOrWhiteSpace(urls) ? "http://localhost:5000" : urls)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => new Uri(u.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal)))];
    }

    private static void Listen(KestrelServerOptions kestrel, Uri url, Action<ListenOptions> configure)
    {
        var port = url.IsDefaultPort ? (url.Scheme == Uri.UriSchemeHttps ? 443 : 80) : url.Port;
        if (url.IsLoopback && url.Host == "localhost" && port != 0)
        {
            kestrel.ListenLocalhost(port, configure);
        }
        else if (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip))
        {
            kestrel.Listen(ip, port, configure);
        }
        else if (url.Host == "localhost")
        {
            kestrel.Listen(IPAddress.Loopback, port, configure);
        }
        else
        {
            kestrel.ListenAnyIP(port, configure);
        }
    }

    /// <summary>Development only: the development PKI's CRLs and OCSP responder, so revocation runs for real.</summary>
    public static WebApplication MapDevelopmentPki(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<CertificateOptions>>().Value;
        if (!options.ServeDevelopmentPki)
        {
            return app;
        }

        if (!app.Environment.IsDevelopment() && !app.Environment.IsEnvironment("Testing"))
        {
            throw new InvalidOperationException("Certificates:ServeDevelopmentPki is for Development only: it serves revocation answers signed with keys kept in the repository.");
        }

        var directory = CertificateTrustStore.ResolvePath(options.DevelopmentPkiPath, app.Environment.ContentRootPath);
        var store = DevelopmentPkiStore.Load(directory);
        var time = app.Services.GetRequiredService<TimeProvider>();
        var responders = store.CertificateAuthorities.ToDictionary(
            ca => ca.Name,
            ca => new OcspResponder(ca.BcCertificate, ca.BcPrivateKey, serial => StatusOf(ca, serial), time, TimeSpan.FromHours(1)),
            StringComparer.Ordinal);

        var group = app.MapGroup("/dev-pki").DisableAntiforgery();
        group.MapGet("/crl/{name}.crl", (string name) => store.TryGetCa(name, out _)
            ? Results.File(store.FreshCrl(name, time.GetUtcNow()), "application/pkix-crl")
            : Results.NotFound());
        group.MapPost("/ocsp/{name}", (HttpContext http, string name) => responders.TryGetValue(name, out var responder) ? responder.HandleAsync(http) : NotFound(http));
        group.MapGet("/ocsp/{name}/{**request}", (HttpContext http, string name) => responders.TryGetValue(name, out var responder) ? responder.HandleAsync(http) : NotFound(http));
        app.Lifetime.ApplicationStopping.Register(store.Dispose);
        return app;
    }

    private static OcspEntryStatus StatusOf(DevelopmentCa ca, Org.BouncyCastle.Math.BigInteger serial)
    {
        var value = new SystemBigInteger(serial.ToByteArrayUnsigned(), isUnsigned: true, isBigEndian: true);
        return ca.FindRevocation(value) is { } revoked ? OcspEntryStatus.Revoked(revoked.RevokedAt, revoked.Reason)
            : ca.Issued(value) ? OcspEntryStatus.Good
            : OcspEntryStatus.Unknown;
    }

    private static Task NotFound(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}

/// <summary>Loads the trust files while the server starts: an unreadable one stops it there, naming the file.</summary>
internal sealed class CertificateTrustWarmUp(IServiceProvider services, IOptions<CertificateOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.IsEnabled)
        {
            _ = services.GetRequiredService<CertificateTrustStore>();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
