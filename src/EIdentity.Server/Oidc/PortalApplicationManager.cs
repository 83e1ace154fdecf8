using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;

namespace EIdentity.Server.Oidc;

/// <summary>
/// OpenIddict's application manager with one change: generated client secrets are stored and
/// checked with a fast keyed hash (<see cref="ClientSecrets"/>); every other secret keeps PBKDF2.
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
}
