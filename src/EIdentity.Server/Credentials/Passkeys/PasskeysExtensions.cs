using EIdentity.Server.Identities;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Credentials.Passkeys;

internal static class PasskeysExtensions
{
    public static WebApplicationBuilder AddPasskeys(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PasskeyOptions>()
            .Bind(builder.Configuration.GetSection(PasskeyOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => o.AllowedOrigins.All(IsOrigin),
                "Passkeys:AllowedOrigins must hold origins such as https://eid.example.gov.vn (scheme, host, optional port; no path).")
            .ValidateOnStart();

        builder.Services.AddOptions<IdentityPasskeyOptions>()
            .Configure<IOptions<PasskeyOptions>>((identity, ours) =>
            {
                identity.ServerDomain = ours.Value.RpId;
                identity.AuthenticatorTimeout = ours.Value.CeremonyLifetime;
                identity.UserVerificationRequirement = "required";
                // Discoverable credentials allow username-less sign-in; keys that cannot store one
                // still work identifier-first.
                identity.ResidentKeyRequirement = "preferred";
                // Attestation statements are verified by a later trust policy; the object is stored.
                identity.AttestationConveyancePreference = "direct";
                identity.ValidateOrigin = context => ValueTask.FromResult(IsAllowedOrigin(context, ours.Value));
            });

        // ASP.NET Core Identity's WebAuthn implementation; we drive it directly (no SignInManager).
        builder.Services.AddScoped<IPasskeyHandler<Person>, PasskeyHandler<Person>>();
        builder.Services.AddScoped<PasskeyCeremonies>();
        return builder;
    }

    private static bool IsAllowedOrigin(PasskeyOriginValidationContext context, PasskeyOptions options)
    {
        // WebAuthn L3 7.1 step 9 / 7.2 step 13: the origin must be one we expect; never cross-origin.
        if (context.CrossOrigin)
        {
            return false;
        }

        if (options.AllowedOrigins.Length > 0)
        {
            return options.AllowedOrigins.Any(o => string.Equals(o.TrimEnd('/'), context.Origin, StringComparison.OrdinalIgnoreCase));
        }

        var request = context.HttpContext.Request;
        var own = $"{request.Scheme}://{request.Host.Value}";
        return string.Equals(own, context.Origin, StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsOrigin(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && uri.AbsolutePath is "/" or ""
        && string.IsNullOrEmpty(uri.Query);
}
