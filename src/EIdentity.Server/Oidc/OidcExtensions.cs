using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Persistence;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EIdentity.Server.Oidc;

internal static class OidcExtensions
{
    public static WebApplicationBuilder AddOidc(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<OidcOptions>()
            .Bind(builder.Configuration.GetSection(OidcOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => o.Clients.All(c => !c.Validate().Any()),
                "Oidc:Clients holds an invalid portal registration; run `client register --help` for the rules.")
            .Validate<IOptions<CertificateOptions>>((o, certificates) => !o.MutualTlsClientAuthentication || !string.IsNullOrWhiteSpace(certificates.Value.MutualTls.Url),
                "Oidc:MutualTlsClientAuthentication needs the mutual-TLS listener: set Certificates:MutualTls:Url (and its CertificatePath).")
            .Validate(o => !o.MutualTlsClientAuthentication || o.Issuer is not null,
                "Oidc:MutualTlsClientAuthentication needs Oidc:Issuer: the mTLS endpoint aliases are absolute URLs next to a fixed issuer.")
            .ValidateOnStart();

        var development = builder.Environment.IsDevelopment();

        builder.Services.AddOpenIddict()
            .AddCore(core =>
            {
                core.UseEntityFrameworkCore().UseDbContext<EIdentityDbContext>();
                core.ReplaceApplicationManager<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication, PortalApplicationManager>();
            })
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris("connect/authorize")
                    .SetPushedAuthorizationEndpointUris("connect/par")
                    .SetTokenEndpointUris("connect/token")
                    .SetUserInfoEndpointUris("connect/userinfo")
                    .SetIntrospectionEndpointUris("connect/introspect")
                    .SetRevocationEndpointUris("connect/revoke")
                    .SetEndSessionEndpointUris("connect/endsession")
                    .SetJsonWebKeySetEndpointUris(".well-known/jwks");

                // Code flow only: no implicit, hybrid or password grants exist on this server.
                server.AllowAuthorizationCodeFlow()
                    .AllowRefreshTokenFlow()
                    .AllowClientCredentialsFlow()
                    .RequireProofKeyForCodeExchange();
                server.Configure(options =>
                {
                    // RFC 7636 4.2: "plain" offers no protection against a leaked code; S256 only.
                    options.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain);
                    options.SubjectTypes.Clear();
                    options.SubjectTypes.Add(SubjectTypes.Pairwise);
                });

                server.RegisterScopes([.. OidcScopes.All]);
                server.RegisterClaims(Claims.Subject, Claims.Name, Claims.Birthdate, OidcClaims.NationalId,
                    Claims.AuthenticationTime, Claims.AuthenticationContextReference, Claims.AuthenticationMethodReference, "sid");

                // Rotation: a refresh token is single use; replaying an old one revokes the chain.
                // No sliding: a grant's refresh tokens all expire when the first one would have.
                server.SetRefreshTokenReuseLeeway(TimeSpan.Zero)
                    .DisableSlidingRefreshTokenExpiration();

                // Portal APIs validate access tokens offline against the JWKS: signed, not encrypted.
                server.DisableAccessTokenEncryption();
                server.AddMutualTlsClientAuthentication();
                server.AddEventHandler(SelectSigningCredentials.Descriptor)
                    .AddEventHandler(ReturnAuthorizationErrorsToPortal.Descriptor)
                    .AddEventHandler(DescribeIdentityTokensAndLevels.Descriptor)
                    .AddEventHandler(RedeemRefreshTokenOnce.Descriptor)
                    .AddEventHandler(ReportClientAuthenticationFailuresAsInvalidClient.Descriptor)
                    .AddEventHandler(RefuseReplayedClientAssertions.Descriptor);
                foreach (var descriptor in RefuseUnregisteredScopes.Descriptors.Concat(ValidateClaimsParameter.Descriptors))
                {
                    server.AddEventHandler(descriptor);
                }

                var aspNetCore = server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    .EnableStatusCodePagesIntegration();
                if (development)
                {
                    // Development runs on http://localhost; everywhere else OpenIddict refuses plain HTTP.
                    aspNetCore.DisableTransportSecurityRequirement();
                }
            })
            .AddValidation(validation =>
            {
                validation.UseLocalServer();
                validation.UseAspNetCore();
            });

        builder.Services.AddOptions<OpenIddictServerOptions>()
            .Configure<TimeProvider, IOptions<OidcOptions>>((options, time, oidc) =>
            {
                var settings = oidc.Value;
                options.TimeProvider = time;
                options.Issuer = settings.Issuer ?? options.Issuer;
                options.AccessTokenLifetime = settings.AccessTokenLifetime;
                options.IdentityTokenLifetime = settings.IdentityTokenLifetime;
                options.AuthorizationCodeLifetime = settings.AuthorizationCodeLifetime;
                options.RefreshTokenLifetime = settings.RefreshTokenLifetime;
                options.RequestTokenLifetime = settings.PushedRequestLifetime;
            });
        builder.Services.AddSingleton<ServerKeyStore>();
        builder.Services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>, ConfigureTokenKeys>();
        builder.Services.AddSingleton<IOptionsChangeTokenSource<OpenIddictServerOptions>, ServerKeyChangeTokens<OpenIddictServerOptions>>();
        builder.Services.AddSingleton<IOptionsChangeTokenSource<OpenIddict.Validation.OpenIddictValidationOptions>, ServerKeyChangeTokens<OpenIddict.Validation.OpenIddictValidationOptions>>();
        builder.Services.AddHostedService<ServerKeyRefresher>();
        builder.Services.AddScoped<ServerKeyRotation>();
        builder.Services.AddSingleton<PairwiseSubjects>();
        builder.Services.AddPortalRegistrationCache();
        builder.Services.AddScoped<PortalRegistry>();
        builder.Services.AddScoped<SignInClaims>();
        builder.Services.AddScoped<ConnectedPortals>();
        builder.Services.AddScoped<PortalConsent>();
        return builder;
    }
}
