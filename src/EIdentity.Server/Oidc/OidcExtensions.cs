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
            .ValidateOnStart();

        var settings = builder.Configuration.GetSection(OidcOptions.Section).Get<OidcOptions>() ?? new();
        var development = builder.Environment.IsDevelopment();

        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<EIdentityDbContext>())
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

                if (settings.Issuer is not null)
                {
                    server.SetIssuer(settings.Issuer);
                }

                server.SetAccessTokenLifetime(settings.AccessTokenLifetime)
                    .SetIdentityTokenLifetime(settings.IdentityTokenLifetime)
                    .SetAuthorizationCodeLifetime(settings.AuthorizationCodeLifetime)
                    .SetRefreshTokenLifetime(settings.RefreshTokenLifetime)
                    // Rotation: a refresh token is single use; replaying an old one revokes the chain.
                    .SetRefreshTokenReuseLeeway(TimeSpan.Zero);
                server.Configure(options => options.RequestTokenLifetime = settings.PushedRequestLifetime);

                // Portal APIs validate access tokens offline against the JWKS: signed, not encrypted.
                server.DisableAccessTokenEncryption();
                server.AddEventHandler(SelectSigningCredentials.Descriptor);

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
            .Configure<TimeProvider>((options, time) => options.TimeProvider = time);
        builder.Services.AddSingleton<ServerKeyStore>();
        builder.Services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>, ConfigureTokenKeys>();
        builder.Services.AddSingleton<PairwiseSubjects>();
        builder.Services.AddScoped<PortalRegistry>();
        builder.Services.AddScoped<SignInClaims>();
        return builder;
    }
}
