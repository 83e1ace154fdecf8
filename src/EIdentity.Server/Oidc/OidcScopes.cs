using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EIdentity.Server.Oidc;

internal static class OidcScopes
{
    /// <summary>The national ID number (CCCD), released only to portals registered for it.</summary>
    public const string NationalId = "national_id";

    /// <summary>
    /// The admin API (<c>/api/admin</c>): held only by a registered admin client through the
    /// client-credentials grant, never by a portal that signs citizens in.
    /// </summary>
    public const string Admin = "eid.admin";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        Scopes.OpenId, Scopes.Profile, Scopes.OfflineAccess, NationalId, Admin,
    };
}

internal static class OidcClaims
{
    public const string NationalId = "national_id";

    /// <summary>Private: the internal person id, kept only inside server-side tokens (codes, refresh tokens).</summary>
    public const string PersonId = "eid_pid";

    /// <summary>The credential the session was signed in with; kept only in the server's own tokens.</summary>
    public const string CredentialId = "eid_cred";

    /// <summary>The tax code (MST) of the organization the person acts for in this sign-in (certificate with MST and CCCD).</summary>
    public const string ActingForTaxCode = "eid_acting_for";
}
