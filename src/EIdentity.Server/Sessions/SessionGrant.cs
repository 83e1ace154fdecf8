namespace EIdentity.Server.Sessions;

/// <summary>
/// A portal taking part in an SSO session: one row per authorization the session granted it (the
/// OpenIddict ad-hoc authorization behind the codes and tokens). Back-channel logout notifies the
/// distinct portals of a session; a security cascade revokes the authorizations.
/// </summary>
internal sealed class SessionGrant
{
    public Guid Id { get; set; }

    public string SessionId { get; set; } = "";

    public string ClientId { get; set; } = "";

    /// <summary>The OpenIddict authorization id the grant's tokens belong to.</summary>
    public string AuthorizationId { get; set; } = "";

    public DateTimeOffset GrantedAt { get; set; }

    /// <summary>The issuer the portal's ID token named; its logout tokens must name the same.</summary>
    public string Issuer { get; set; } = "";
}
