using EIdentity.Server.Identities;
using EIdentity.Server.Oidc;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Hosting;

/// <summary>Settings under <c>Demo</c> (Development only): the demo citizen.</summary>
internal sealed class DemoOptions
{
    public const string Section = "Demo";

    public bool Enabled { get; set; }

    public string NationalId { get; set; } = "001099012345";

    public string FullName { get; set; } = "Nguyễn Văn An";

    public DateOnly BirthDate { get; set; } = new(1990, 5, 17);

    /// <summary>The demo organization the employee certificate in certs/dev-pki acts for.</summary>
    public string? OrganizationTaxCode { get; set; }

    public string OrganizationName { get; set; } = "Công ty TNHH Demo (dev)";
}

internal static class DevelopmentData
{
    /// <summary>Registers (or updates) the portals listed under <c>Oidc:Clients</c>; in every environment.</summary>
    public static async Task RegisterConfiguredPortalsAsync(this WebApplication app)
    {
        var clients = app.Services.GetRequiredService<IOptions<OidcOptions>>().Value.Clients;
        if (clients.Count == 0)
        {
            return;
        }

        await using var scope = app.Services.CreateAsyncScope();
        var registry = scope.ServiceProvider.GetRequiredService<PortalRegistry>();
        foreach (var client in clients)
        {
            var result = await registry.RegisterAsync(client, checkCertificateValidity: false);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"Oidc:Clients '{client.ClientId}': {string.Join("; ", result.Errors)}");
            }
        }
    }

    /// <summary>
    /// With <c>Demo:Enabled</c> (appsettings.Development.json): makes sure the demo citizen exists,
    /// issues a fresh activation link and prints where everything is once the server listens.
    /// </summary>
    public static async Task SeedDemoDataAsync(this WebApplication app)
    {
        var demo = app.Services.GetRequiredService<IOptions<DemoOptions>>().Value;
        if (!demo.Enabled)
        {
            return;
        }

        string code;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var registry = scope.ServiceProvider.GetRequiredService<IdentityRegistry>();
            var nationalId = NationalIdNumber.Parse(demo.NationalId);
            var person = await registry.FindByNationalIdAsync(nationalId)
                ?? (await registry.CreatePersonAsync(new CreatePersonRequest(nationalId, demo.FullName, demo.BirthDate))).Person
                ?? throw new InvalidOperationException("The demo citizen could not be created.");
            code = (await registry.IssueActivationAsync(person.Id)).Code;
            if (TaxCode.TryParse(demo.OrganizationTaxCode, out var taxCode) && await registry.FindOrganizationAsync(taxCode) is null)
            {
                await registry.CreateOrganizationAsync(taxCode, demo.OrganizationName);
            }
        }

        var portals = app.Services.GetRequiredService<IOptions<OidcOptions>>().Value.Clients;
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var configured = app.Services.GetRequiredService<IOptions<HostingOptions>>().Value.PublicOrigin;
            var origin = !string.IsNullOrWhiteSpace(configured) ? configured
                : addresses.FirstOrDefault()?.Replace("127.0.0.1", "localhost", StringComparison.Ordinal) ?? "http://localhost:5000";
            Console.WriteLine($"""

                ================================================================
                 EIdentity (Development) is running at {origin}
                 Discovery: {origin.TrimEnd('/')}/.well-known/openid-configuration

                 Demo citizen {demo.FullName} (CCCD {demo.NationalId}) — activate with a passkey:
                   {ActivationLinks.For(origin, code)}

                 Demo portals (start each in its own terminal):
                """);
            foreach (var portal in portals.Where(p => p.RedirectUris.Count > 0))
            {
                var home = portal.RedirectUris.Select(u => new Uri(u)).Select(u => u.GetLeftPart(UriPartial.Authority)).FirstOrDefault();
                Console.WriteLine($"   {portal.DisplayName,-16} {home}");
            }

            foreach (var admin in portals.Where(p => p.Scopes.Contains(OidcScopes.Admin)))
            {
                Console.WriteLine($"   Admin API client: {admin.ClientId} (docs/admin-api.md)");
            }

            Console.WriteLine("""
                   dotnet run --project src/EIdentity.SamplePortal --launch-profile dichvucong
                   dotnet run --project src/EIdentity.SamplePortal --launch-profile thue
                ================================================================

                """);
        });
    }
}
