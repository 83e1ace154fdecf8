using System.Globalization;
using System.Security.Claims;
using EIdentity.Server.Identities;
using EIdentity.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using EIdentity.Server.Sessions;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EIdentity.Server.Oidc;

/// <summary>Builds the claims a portal receives, honouring its scopes and the privacy rules.</summary>
internal sealed class SignInClaims(PairwiseSubjects subjects, PortalRegistry portals, EIdentityDbContext db)
{
    public async Task<ClaimsIdentity> ForPersonAsync(Person person, SsoSession session, string clientId, IEnumerable<string> scopes, CancellationToken cancellationToken)
    {
        var identity = new ClaimsIdentity(
            authenticationType: "EIdentity",
            nameType: Claims.Name,
            roleType: Claims.Role);

        var sector = await portals.GetSectorAsync(clientId, cancellationToken);
        identity.SetClaim(Claims.Subject, await subjects.ForAsync(sector, person.Id, cancellationToken));
        identity.SetClaim(OidcClaims.PersonId, person.Id.ToString());
        identity.SetClaim(Claims.AuthenticationTime, session.AuthenticatedAt.ToUnixTimeSeconds());
        identity.SetClaim(Claims.AuthenticationContextReference, session.Acr);
        identity.SetClaims(Claims.AuthenticationMethodReference, [.. session.Amr.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        identity.SetClaim("sid", session.Id);
        identity.SetClaim(OidcClaims.CredentialId, session.CredentialId);
        // Signed in with a certificate naming a person and an organization: the portal learns which
        // organization the person acts for (a tax code is public business information).
        if (session.OrganizationId is { } organizationId
            && await db.Organizations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == organizationId, cancellationToken) is { } organization)
        {
            identity.SetClaim(OidcClaims.ActingForTaxCode, organization.TaxCode.Value);
        }
        identity.SetScopes(scopes);
        // RFC 9068 3: the access token names its audience; a portal's API accepts only its own tokens,
        // and only that portal may introspect or revoke them.
        identity.SetAudiences(clientId);
        AddPersonalClaims(identity, person);
        identity.SetDestinations(DestinationsFor);
        return identity;
    }

    /// <summary>Re-reads the person's data for a refreshed token, so a renamed person is current.</summary>
    public static void Refresh(ClaimsIdentity identity, Person person)
    {
        identity.RemoveClaims(Claims.Name);
        identity.RemoveClaims(Claims.Birthdate);
        identity.RemoveClaims(OidcClaims.NationalId);
        AddPersonalClaims(identity, person);
        identity.SetDestinations(DestinationsFor);
    }

    private static void AddPersonalClaims(ClaimsIdentity identity, Person person)
    {
        var scopes = identity.GetScopes();
        if (scopes.Contains(Scopes.Profile))
        {
            identity.SetClaim(Claims.Name, person.FullName);
            identity.SetClaim(Claims.Birthdate, person.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        // Only reachable when the portal's registration holds the national_id scope permission.
        if (scopes.Contains(OidcScopes.NationalId))
        {
            identity.SetClaim(OidcClaims.NationalId, person.NationalId.Value);
        }
    }

    public static IEnumerable<string> DestinationsFor(Claim claim) => claim.Type switch
    {
        // The access token carries who and how, never personal data: portal APIs may log it.
        Claims.Subject => [Destinations.AccessToken, Destinations.IdentityToken],
        Claims.AuthenticationContextReference or Claims.AuthenticationMethodReference
            => [Destinations.AccessToken, Destinations.IdentityToken],
        Claims.AuthenticationTime or "sid" => [Destinations.IdentityToken],
        Claims.Name or Claims.Birthdate or OidcClaims.NationalId => [Destinations.IdentityToken],
        OidcClaims.ActingForTaxCode => [Destinations.AccessToken, Destinations.IdentityToken],
        // eid_pid and anything else: kept only inside the server's own encrypted tokens.
        _ => [],
    };
}
