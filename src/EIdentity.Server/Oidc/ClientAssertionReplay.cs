using EIdentity.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace EIdentity.Server.Oidc;

/// <summary>A client assertion's <c>jti</c>, kept until the assertion expires so it is honoured once.</summary>
internal sealed class ClientAssertionUse
{
    public string ClientId { get; set; } = "";

    public string TokenId { get; set; } = "";

    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>
/// RFC 7523 3 (item 7) and FAPI 2.0: a client assertion is single use. OpenIddict checks its
/// signature, issuer, audience and lifetime; this records its <c>jti</c> and refuses a second
/// use, across every node, through a unique key in the shared database.
/// </summary>
internal sealed class RefuseReplayedClientAssertions(EIdentityDbContext db, TimeProvider time) : IOpenIddictServerHandler<ProcessAuthenticationContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
            .UseScopedHandler<RefuseReplayedClientAssertions>()
            .SetOrder(OpenIddictServerHandlers.ValidateClientCertificate.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        if (context.ClientAssertionPrincipal is not { } assertion || string.IsNullOrEmpty(context.ClientId))
        {
            return;
        }

        var tokenId = assertion.FindFirst(Claims.JwtId)?.Value;
        var expires = assertion.FindFirst(Claims.ExpiresAt)?.Value is { } exp && long.TryParse(exp, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) : (DateTimeOffset?)null;
        if (string.IsNullOrEmpty(tokenId) || tokenId.Length > 200 || expires is null)
        {
            context.Reject(Errors.InvalidClient, "The client assertion needs a jti (at most 200 characters) and an exp.");
            return;
        }

        var now = time.GetUtcNow();
        var clientId = context.ClientId;
        // Expired uses can never be replayed (the assertion itself would be refused): drop them on the way.
        await db.ClientAssertionUses.Where(u => u.ClientId == clientId && u.ExpiresAt < now).ExecuteDeleteAsync(context.CancellationToken);
        var use = db.ClientAssertionUses.Add(new ClientAssertionUse { ClientId = clientId, TokenId = tokenId, ExpiresAt = expires.Value });
        try
        {
            await db.SaveChangesAsync(context.CancellationToken);
        }
        catch (DbUpdateException)
        {
            // The key exists: this jti was used before (here or on another node).
            use.State = EntityState.Detached;
            context.Reject(Errors.InvalidClient, "This client assertion was already used.");
        }
    }
}
