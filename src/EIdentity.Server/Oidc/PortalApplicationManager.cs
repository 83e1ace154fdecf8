using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;

namespace EIdentity.Server.Oidc;

/// <summary>
/// OpenIddict's application manager with two changes: generated client secrets are stored and
/// checked with a fast keyed hash (<see cref="ClientSecrets"/>), every other secret keeps PBKDF2;
/// and a portal's self-signed TLS client certificate is found in its key set whatever its key type.
/// </summary>
internal sealed class PortalApplicationManager(
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store)
    : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
{
    protected override ValueTask<string> ObfuscateClientSecretAsync(string secret, CancellationToken cancellationToken = default) =>
        ClientSecrets.IsGenerated(secret) ? ValueTask.FromResult(ClientSecrets.Hash(secret)) : base.ObfuscateClientSecretAsync(secret, cancellationToken);

    protected override ValueTask<bool> ValidateClientSecretAsync(string secret, string comparand, CancellationToken cancellationToken = default) =>
        ClientSecrets.IsFastHash(comparand) ? ValueTask.FromResult(ClientSecrets.Verify(secret, comparand)) : base.ValidateClientSecretAsync(secret, comparand, cancellationToken);

    /// <summary>
    /// RFC 8705 2.2.2: the certificates in the <c>x5c</c> of the portal's keys. OpenIddict reads them
    /// through IdentityModel, which turns only RSA keys with <c>x5c</c> into certificates; an EC
    /// certificate (P-256 is what most portals make) is added here the same way.
    /// </summary>
    public override async ValueTask<X509ChainPolicy?> GetSelfSignedTlsClientAuthenticationPolicyAsync(
        OpenIddictEntityFrameworkCoreApplication application, X509ChainPolicy policy, CancellationToken cancellationToken = default)
    {
        var result = await base.GetSelfSignedTlsClientAuthenticationPolicyAsync(application, policy, cancellationToken);
        var keySet = await GetJsonWebKeySetAsync(application, cancellationToken);
        if (result is null || keySet is null)
        {
            return result;
        }

        foreach (var key in keySet.Keys.Where(k => k.Kty == JsonWebAlgorithmsKeyTypes.EllipticCurve && k.X5c.Count > 0
            && (string.IsNullOrEmpty(k.Use) || k.Use == JsonWebKeyUseNames.Sig)))
        {
            try
            {
                var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(key.X5c[0]));
                if (PortalCertificate.IsSelfIssued(certificate) && PortalCertificate.IsForClientAuthentication(certificate))
                {
                    result.CustomTrustStore.Add(certificate);
                }
                else
                {
                    certificate.Dispose();
                }
            }
            catch (Exception e) when (e is FormatException or CryptographicException)
            {
                // A key set is checked when registered; an unreadable x5c simply authenticates no one.
            }
        }

        return result;
    }
}
