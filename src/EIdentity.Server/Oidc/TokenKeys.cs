using Microsoft.Extensions.Primitives;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace EIdentity.Server.Oidc;

/// <summary>
/// Hands the persistent keys from <see cref="ServerKeyStore"/> to OpenIddict: every published
/// signing key (OpenIddict lists them all in the JWKS and validates its own tokens with them) and
/// the encryption key. Rebuilt whenever the store reports a rotation.
/// </summary>
internal sealed class ConfigureTokenKeys(ServerKeyStore store) : IConfigureOptions<OpenIddictServerOptions>
{
    public void Configure(OpenIddictServerOptions options)
    {
        foreach (var key in store.SigningKeys)
        {
            options.SigningCredentials.Add(new SigningCredentials(key.Key, key.Algorithm));
        }

        var encryption = store.Get(ServerKeyStore.EncryptionA256).Material;
        options.EncryptionCredentials.Add(new EncryptingCredentials(
            new SymmetricSecurityKey(encryption) { KeyId = ServerKeyStore.KeyId("enc", SHA256.HashData(encryption)) },
            SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
    }
}

/// <summary>OpenIddict's server and validation options are built again when the signing keys change.</summary>
internal sealed class ServerKeyChangeTokens<TOptions>(ServerKeyStore store) : IOptionsChangeTokenSource<TOptions>
{
    public string? Name => Options.DefaultName;

    public IChangeToken GetChangeToken() => store.GetChangeToken();
}

/// <summary>
/// Access tokens are signed with ES256 (fast to sign and verify) unless the portal registered
/// RS256 for its APIs (<c>--access-token-alg RS256</c>, for resource servers whose libraries lack
/// EC; every RS256 signature costs about eleven ES256 ones). Identity tokens are RS256, the
/// algorithm every OpenID Connect relying party must accept (OIDC Core 15.1) and the default of
/// OIDC Dynamic Client Registration's <c>id_token_signed_response_alg</c>.
/// </summary>
internal sealed class SelectSigningCredentials(IOpenIddictApplicationManager applications, ServerKeyStore keys) : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseScopedHandler<SelectSigningCredentials>()
            .SetOrder(OpenIddictServerHandlers.Protection.AttachSecurityCredentials.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(GenerateTokenContext context)
    {
        var wanted = context.TokenType switch
        {
            TokenTypeIdentifiers.IdentityToken => SecurityAlgorithms.RsaSha256,
            // The application was loaded when the client was authenticated: this read hits OpenIddict's per-request cache.
            TokenTypeIdentifiers.AccessToken when context.Request?.ClientId is { } clientId
                && await applications.FindByClientIdAsync(clientId, context.CancellationToken) is { } application
                && PortalRegistry.AccessTokenAlgorithm(await applications.GetPropertiesAsync(application, context.CancellationToken)) == SecurityAlgorithms.RsaSha256
                => SecurityAlgorithms.RsaSha256,
            _ => SecurityAlgorithms.EcdsaSha256,
        };
        // The newest key already active signs; a rotated key is published first and signs later.
        var signer = keys.Signer(wanted, context.Options.TimeProvider?.GetUtcNow() ?? DateTimeOffset.UtcNow);
        if ((context.Options.SigningCredentials.FirstOrDefault(c => c.Key.KeyId == signer?.KeyId)
            ?? context.Options.SigningCredentials.FirstOrDefault(c => c.Algorithm == wanted)) is { } credentials)
        {
            context.SigningCredentials = credentials;
        }
    }
}
