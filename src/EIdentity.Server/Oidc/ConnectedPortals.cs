using EIdentity.Server.Audit;
using EIdentity.Server.Sessions;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EIdentity.Server.Oidc;

/// <summary>A portal a person has granted access to, as the citizen's own pages show it.</summary>
/// <param name="Scopes">Every scope the portal holds a valid grant for (what data it receives).</param>
/// <param name="Consented">The citizen approved a consent screen for it (a remembered decision).</param>
internal sealed record ConnectedPortal(string ClientId, string DisplayName, IReadOnlyList<string> Scopes, DateTimeOffset? Since, bool Consented);

/// <summary>
/// The portals holding a person's grants (OpenIddict authorizations whose subject is the person's
/// internal id): listed for the citizen, and revoked — remembered consent, refresh tokens and all —
/// when the citizen withdraws a portal's access.
/// </summary>
internal sealed partial class ConnectedPortals(
    IOpenIddictAuthorizationManager authorizations,
    IOpenIddictApplicationManager applications,
    SessionService sessions,
    AuditLog audit,
    ILogger<ConnectedPortals> logger)
{
    public async Task<IReadOnlyList<ConnectedPortal>> ListAsync(Guid personId, CancellationToken cancellationToken = default)
    {
        var byApplication = new Dictionary<string, (HashSet<string> Scopes, DateTimeOffset? Since, bool Consented)>(StringComparer.Ordinal);
        await foreach (var authorization in authorizations.FindBySubjectAsync(personId.ToString(), cancellationToken))
        {
            if (!await authorizations.HasStatusAsync(authorization, Statuses.Valid, cancellationToken)
                || await authorizations.GetApplicationIdAsync(authorization, cancellationToken) is not { } applicationId)
            {
                continue;
            }

            var scopes = await authorizations.GetScopesAsync(authorization, cancellationToken);
            var created = await authorizations.GetCreationDateAsync(authorization, cancellationToken);
            var permanent = await authorizations.HasTypeAsync(authorization, AuthorizationTypes.Permanent, cancellationToken);
            if (!byApplication.TryGetValue(applicationId, out var entry))
            {
                entry = ([], null, false);
            }

            entry.Scopes.UnionWith(scopes);
            entry = (entry.Scopes, Earliest(entry.Since, created), entry.Consented || permanent);
            byApplication[applicationId] = entry;
        }

        var portals = new List<ConnectedPortal>();
        foreach (var (applicationId, entry) in byApplication)
        {
            if (await applications.FindByIdAsync(applicationId, cancellationToken) is not { } application)
            {
                continue;
            }

            var clientId = (await applications.GetClientIdAsync(application, cancellationToken))!;
            portals.Add(new ConnectedPortal(clientId, await applications.GetDisplayNameAsync(application, cancellationToken) ?? clientId,
                [.. entry.Scopes.Order(StringComparer.Ordinal)], entry.Since, entry.Consented));
        }

        return [.. portals.OrderBy(p => p.DisplayName, StringComparer.CurrentCulture)];
    }

    /// <summary>
    /// Withdraws everything the person granted the portal: remembered consent, and every grant with
    /// its tokens (refresh fails, introspection answers inactive). The next sign-in asks again.
    /// Returns false when the portal is unknown or holds nothing.
    /// </summary>
    public async Task<bool> RevokeAsync(Guid personId, string clientId, string actor, CancellationToken cancellationToken = default)
    {
        if (await applications.FindByClientIdAsync(clientId, cancellationToken) is not { } application
            || await applications.GetIdAsync(application, cancellationToken) is not { } applicationId)
        {
            return false;
        }

        var revoked = 0;
        await foreach (var authorization in authorizations.FindAsync(personId.ToString(), applicationId, status: null, type: null, scopes: null, cancellationToken))
        {
            if (await authorizations.HasStatusAsync(authorization, Statuses.Valid, cancellationToken)
                && await authorizations.GetIdAsync(authorization, cancellationToken) is { } authorizationId)
            {
                await sessions.RevokeAuthorizationAsync(authorizationId);
                revoked++;
            }
        }

        if (revoked == 0)
        {
            return false;
        }

        await audit.RecordAsync(new AuditEntry("consent.revoked", actor, personId, clientId), CancellationToken.None);
        LogRevoked(logger, personId, clientId, revoked);
        return true;
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a < b ? a : b;

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Identity {PersonId} withdrew portal {ClientId}'s access ({Count} grants revoked).")]
    private static partial void LogRevoked(ILogger logger, Guid personId, string clientId, int count);
}
