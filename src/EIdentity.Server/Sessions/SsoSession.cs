namespace EIdentity.Server.Sessions;

/// <summary>
/// A single sign-on session at the identity provider. The browser cookie only references it
/// (by <see cref="Id"/>, the OIDC <c>sid</c>), so ending the row ends the session on every node.
/// </summary>
internal sealed class SsoSession
{
    public string Id { get; set; } = "";

    public Guid PersonId { get; set; }

    public DateTimeOffset AuthenticatedAt { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The passkey credential id (base64url) or other credential reference used to sign in.</summary>
    public string? CredentialId { get; set; }

    /// <summary>The organization the person acts for in this session (a certificate with MST and CCCD), if any.</summary>
    public Guid? OrganizationId { get; set; }

    public string Acr { get; set; } = "";

    /// <summary>Space-separated RFC 8176 values.</summary>
    public string Amr { get; set; } = "";

    /// <summary>An approximate description of the device (browser and system, from the User-Agent), for the citizen's own pages.</summary>
    public string? Device { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public string? EndReason { get; set; }

    public bool IsActiveAt(DateTimeOffset now) => EndedAt is null && now < ExpiresAt;
}
