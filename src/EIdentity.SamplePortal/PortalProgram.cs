using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace EIdentity.SamplePortal;

/// <summary>
/// Entry point of the reference relying party.
/// </summary>
/// <remarks>
/// An explicit entry point instead of top-level statements: top-level statements generate a global
/// <c>Program</c> class that would clash with the identity provider's <c>Program</c> in a test project
/// referencing both. Tests use <c>WebApplicationFactory&lt;PortalProgram&gt;</c> (its host resolver runs
/// <see cref="Main"/> and intercepts <c>Build()</c>) or call <see cref="BuildApp"/> to run the portal on
/// real Kestrel. The class is public and non-static because a generic type argument can be neither
/// static nor less accessible than the public test classes that name it.
/// </remarks>
public sealed class PortalProgram
{
    private PortalProgram()
    {
    }

    public static void Main(string[] args) => BuildApp(args).Run();

    /// <summary>Builds the portal; <paramref name="configure"/> runs after the portal's own registrations.</summary>
    public static WebApplication BuildApp(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The application name is fixed so that a host started from another assembly (a test) still
        // finds this portal's pages and settings.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(PortalProgram).Assembly.GetName().Name,
        });

        builder.Services.AddSingleton(TimeProvider.System);
        // Vietnamese letters (ệ, ư, ở...) lie outside Basic Latin; emit them as text, not as &#x...; references.
        builder.Services.AddWebEncoders(o => o.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));
        builder.AddPortalOptions();
        builder.AddPortalAuthentication();
        builder.AddBackchannelLogout();
        builder.Services.AddRazorPages();

        configure?.Invoke(builder);

        var app = builder.Build();

        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error");
            app.UseHsts();
        }

        app.UseStatusCodePagesWithReExecute("/error", "?code={0}");
        app.UseStaticFiles();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapRazorPages();
        // OpenID Connect Back-Channel Logout 1.0; PortalAuthentication's cookie OnValidatePrincipal is the other half.
        app.MapBackchannelLogout();

        return app;
    }
}
