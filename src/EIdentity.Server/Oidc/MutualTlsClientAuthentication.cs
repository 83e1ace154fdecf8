using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EIdentity.Server.Credentials.Certificates;
using Microsoft.AspNetCore;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace EIdentity.Server.Oidc;

/// <summary>
/// Portals authenticating with their self-signed TLS client certificate (RFC 8705 2.2) on the
/// mutual-TLS listener, which then also serves the protocol endpoints a portal authenticates at
/// (the "mTLS endpoint aliases", RFC 8705 5). Off unless <c>Oidc:MutualTlsClientAuthentication</c>
/// is set; see docs/adr/0011-mutual-tls-client-authentication.md.
/// </summary>
internal static class MutualTlsClientAuthentication
{
    /// <summary>The endpoints served on the mutual-TLS listener too, as aliases of the main ones.</summary>
    public static IReadOnlyList<string> AliasPaths { get; } =
        ["/connect/token", "/connect/introspect", "/connect/revoke", "/connect/par", "/connect/userinfo"];

    public static OpenIddictServerBuilder AddMutualTlsClientAuthentication(this OpenIddictServerBuilder server)
    {
        server.Services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>, ConfigureMutualTlsClientAuthentication>();
        server.Services.AddOptions<MutualTlsListenerOptions>()
            .Configure<IOptions<OidcOptions>>((listener, oidc) =>
            {
                if (oidc.Value.MutualTlsClientAuthentication)
                {
                    listener.SharedPaths.UnionWith(AliasPaths);
                }
            });
        foreach (var descriptor in IgnoreClientCertificatesOutsideMutualTlsListener.Descriptors)
        {
            server.AddEventHandler(descriptor);
        }

        return server;
    }
}

/// <summary>
/// What <c>EnableSelfSignedTlsClientAuthentication()</c>, <c>SetMtls…EndpointAliasUri()</c> and
/// <c>UseClientCertificateBoundAccessTokens()</c> set, from settings read when the options are
/// built (so that an operator's environment variables and a test's settings count alike).
/// </summary>
internal sealed class ConfigureMutualTlsClientAuthentication(IOptions<OidcOptions> oidc, IOptions<CertificateOptions> certificates)
    : IConfigureOptions<OpenIddictServerOptions>
{
    public void Configure(OpenIddictServerOptions options)
    {
        if (!oidc.Value.MutualTlsClientAuthentication || certificates.Value.MutualTls.Url is not { Length: > 0 } url)
        {
            return;
        }

        // The policy OpenIddict's EnableSelfSignedTlsClientAuthentication() builds: the portal's registered
        // certificate is the only trust anchor, no revocation (there is no CA to ask), clientAuth usage.
        options.SelfSignedTlsClientAuthenticationPolicy = new X509ChainPolicy
        {
            ApplicationPolicy = { new Oid(PortalCertificate.ClientAuthentication) },
            RevocationMode = X509RevocationMode.NoCheck,
            TrustMode = X509ChainTrustMode.CustomRootTrust,
        };

        var listener = new Uri(url);
        options.MtlsTokenEndpointAliasUri = new Uri(listener, "connect/token");
        options.MtlsIntrospectionEndpointAliasUri = new Uri(listener, "connect/introspect");
        options.MtlsRevocationEndpointAliasUri = new Uri(listener, "connect/revoke");
        options.MtlsPushedAuthorizationEndpointAliasUri = new Uri(listener, "connect/par");
        options.MtlsUserInfoEndpointAliasUri = new Uri(listener, "connect/userinfo");

        // RFC 8705 3: an access token issued over the listener carries cnf.x5t#S256 of the certificate
        // the portal presented; a stolen token is useless without the certificate's private key.
        options.UseClientCertificateBoundAccessTokens = true;
    }
}

/// <summary>
/// A TLS client certificate counts only when it arrived on the mutual-TLS listener. The main
/// listener asks for none; should one reach the application there anyway (a main listener
/// configured to ask, a proxy's certificate forwarding), it neither authenticates a portal nor
/// binds a token.
/// </summary>
internal static class IgnoreClientCertificatesOutsideMutualTlsListener
{
    public static IEnumerable<OpenIddictServerHandlerDescriptor> Descriptors { get; } =
    [
        IgnoreClientCertificatesOutsideMutualTlsListener<ExtractTokenRequestContext>.Descriptor,
        IgnoreClientCertificatesOutsideMutualTlsListener<ExtractIntrospectionRequestContext>.Descriptor,
        IgnoreClientCertificatesOutsideMutualTlsListener<ExtractRevocationRequestContext>.Descriptor,
        IgnoreClientCertificatesOutsideMutualTlsListener<ExtractPushedAuthorizationRequestContext>.Descriptor,
        IgnoreClientCertificatesOutsideMutualTlsListener<ExtractUserInfoRequestContext>.Descriptor,
    ];
}

/// <inheritdoc cref="IgnoreClientCertificatesOutsideMutualTlsListener"/>
internal sealed class IgnoreClientCertificatesOutsideMutualTlsListener<TContext> : IOpenIddictServerHandler<TContext>
    where TContext : BaseValidatingContext
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<TContext>()
            .UseSingletonHandler<IgnoreClientCertificatesOutsideMutualTlsListener<TContext>>()
            .SetOrder(OpenIddictServerAspNetCoreHandlers.ExtractClientCertificate<TContext>.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(TContext context)
    {
        if (context.Transaction.RemoteCertificate is not null
            && context.Transaction.GetHttpRequest() is { } request
            && !CertificateEndpoints.IsMutualTlsConnection(request.HttpContext))
        {
            context.Transaction.RemoteCertificate = null;
        }

        return ValueTask.CompletedTask;
    }
}
