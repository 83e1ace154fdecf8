using EIdentity.Server.Credentials.Passkeys.Attestation;
using EIdentity.Server.Credentials.Passkeys.Metadata;
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
            // Outside Development the expected origin never comes from the request's Host header.
            .Validate(o => o.AllowedOrigins.Length > 0 || builder.Environment.IsDevelopment() || builder.Environment.IsEnvironment("Testing"),
                "Passkeys:AllowedOrigins must list the public origin(s) of the sign-in pages, e.g. Passkeys__AllowedOrigins__0=https://eid.example.gov.vn.")
            .ValidateOnStart();

        builder.Services.AddOptions<PasskeyPolicyOptions>()
            .Bind(builder.Configuration.GetSection(PasskeyPolicyOptions.Section))
            .ValidateOnStart();
        builder.AddAuthenticatorMetadata();
        builder.Services.AddSingleton<IAttestationStatementFormat, NoneAttestationFormat>();
        builder.Services.AddSingleton<IAttestationStatementFormat, PackedAttestationFormat>();
        builder.Services.AddSingleton<IAttestationStatementFormat, FidoU2fAttestationFormat>();
        builder.Services.AddSingleton<IAttestationStatementFormat, TpmAttestationFormat>();
        builder.Services.AddSingleton<IAttestationStatementFormat, AndroidKeyAttestationFormat>();
        builder.Services.AddSingleton<IAttestationStatementFormat, AppleAttestationFormat>();
        builder.Services.AddSingleton<AuthenticatorPolicy>();

        builder.Services.AddOptions<IdentityPasskeyOptions>()
            .Configure<IOptions<PasskeyOptions>>((identity, ours) =>
            {
                identity.ServerDomain = ours.Value.RpId;
                identity.AuthenticatorTimeout = ours.Value.CeremonyLifetime;
                identity.UserVerificationRequirement = "required";
                // Discoverable credentials allow username-less sign-in; keys that cannot store one
                // still work identifier-first.
                identity.ResidentKeyRequirement = "preferred";
                // Attestation tells us the model; it decides whether the key reaches the high level.
                identity.AttestationConveyancePreference = "direct";
                identity.ValidateOrigin = context => ValueTask.FromResult(IsAllowedOrigin(context, ours.Value));
                identity.VerifyAttestationStatement = context => ValueTask.FromResult(VerifyAttestation(context, anyAuthenticator: false));
            });

        // ASP.NET Core Identity's WebAuthn implementation; we drive it directly (no SignInManager).
        builder.Services.AddScoped<IPasskeyHandler<Person>, PasskeyHandler<Person>>();
        builder.Services.AddScoped<PasskeyCeremonies>();
        builder.Services.AddScoped<PasskeyKeyring>();
        builder.Services.AddScoped<PasskeyModelReview>();
        builder.Services.AddHostedService<PasskeyMetadataWatcher>();
        return builder;
    }

    /// <summary>
    /// The handler's hook for WebAuthn L3 7.1 steps 21-24. It only takes yes or no, so the verdict
    /// (format, model, level, reason) is left on the request for <see cref="PasskeyCeremonies"/>.
    /// </summary>
    internal static bool VerifyAttestation(PasskeyAttestationStatementVerificationContext context, bool anyAuthenticator)
    {
        var policy = context.HttpContext.RequestServices.GetRequiredService<AuthenticatorPolicy>();
        var verdict = policy.Evaluate(context.AttestationObject, context.ClientDataHash.Span, anyAuthenticator);
        context.HttpContext.Items[PasskeyCeremonies.VerdictKey] = verdict;
        return verdict.Accepted;
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
