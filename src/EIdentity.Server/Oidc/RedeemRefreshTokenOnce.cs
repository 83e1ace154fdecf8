using EIdentity.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace EIdentity.Server.Oidc;

/// <summary>
/// A refresh token is honoured once, even when the same token reaches several requests (on one
/// node or on several) at the same moment. OpenIddict's own <c>RedeemTokenEntry</c> deliberately
/// ignores a failed redemption of a refresh token, so that a reuse leeway can let concurrent
/// refreshes through; with the leeway at zero that leaves a window in which every request that
/// read the token as valid before the first one committed gets new tokens (double rotation).
/// This marks the entry redeemed with one conditional UPDATE before OpenIddict's handler runs:
/// the database lets exactly one request change it from valid to redeemed, and every other one is
/// answered <c>invalid_grant</c> (RFC 6749 5.2; RFC 9700 4.14.2: a rotated refresh token is
/// single use).
/// </summary>
internal sealed class RedeemRefreshTokenOnce(EIdentityDbContext db, TimeProvider time) : IOpenIddictServerHandler<ProcessSignInContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
            .UseScopedHandler<RedeemRefreshTokenOnce>()
            .SetOrder(OpenIddictServerHandlers.RedeemTokenEntry.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ProcessSignInContext context)
    {
        if (context.EndpointType is not OpenIddictServerEndpointType.Token || !context.Request.IsRefreshTokenGrantType()
            || context.Options.DisableRollingRefreshTokens || context.Options.DisableTokenStorage)
        {
            return;
        }

        var authentication = context.Transaction.GetProperty<ProcessAuthenticationContext>(typeof(ProcessAuthenticationContext).FullName!)
            ?? throw new InvalidOperationException("OpenIddict validated a refresh token request without an authentication context.");
        var tokenId = authentication.RefreshTokenPrincipal?.GetTokenId();
        if (string.IsNullOrEmpty(tokenId))
        {
            return;
        }

        // The new concurrency token makes any copy of the entry loaded earlier in this request stale,
        // so OpenIddict's own redemption that follows fails quietly instead of writing it again.
        var redeemed = await db.Set<OpenIddictEntityFrameworkCoreToken>()
            .Where(t => t.Id == tokenId && t.Status == Statuses.Valid)
            .ExecuteUpdateAsync(s => s
                .SetProperty(t => t.Status, Statuses.Redeemed)
                .SetProperty(t => t.RedemptionDate, time.GetUtcNow().UtcDateTime)
                .SetProperty(t => t.ConcurrencyToken, Guid.NewGuid().ToString()),
                context.CancellationToken);
        if (redeemed == 0)
        {
            context.Reject(Errors.InvalidGrant, "The specified refresh token is no longer valid.");
        }
    }
}
