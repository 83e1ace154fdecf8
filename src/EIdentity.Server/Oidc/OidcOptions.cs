using System.ComponentModel.DataAnnotations;

namespace EIdentity.Server.Oidc;

/// <summary>Settings under <c>Oidc</c>.</summary>
internal sealed class OidcOptions
{
    public const string Section = "Oidc";

    /// <summary>
    /// The issuer (<c>iss</c>), e.g. <c>https://eid.example.gov.vn/</c>. Empty: derived from each request,
    /// which is fine on one host; set it behind a load balancer.
    /// </summary>
    public Uri? Issuer { get; set; }

    [Range(typeof(TimeSpan), "00:01:00", "01:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    [Range(typeof(TimeSpan), "00:01:00", "01:00:00")]
    public TimeSpan IdentityTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    [Range(typeof(TimeSpan), "00:00:30", "00:10:00")]
    public TimeSpan AuthorizationCodeLifetime { get; set; } = TimeSpan.FromMinutes(2);

    [Range(typeof(TimeSpan), "00:10:00", "30.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Lifetime of a pushed authorization request (RFC 9126 <c>request_uri</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:30", "00:30:00")]
    public TimeSpan PushedRequestLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a node reuses a portal registration it has read (its secret hash, redirect URIs,
    /// permissions) before reading it again. A change made on this node applies at once; one made
    /// with the CLI or on another node applies within this time. Zero: read on every request.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan PortalCacheLifetime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often a node reads the server keys again, so that a key rotated with <c>keys rotate</c>
    /// (on any node) is published and used here. Keep it well under the rotation's publication lead.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Offer portals <c>self_signed_tls_client_auth</c> (RFC 8705): the mutual-TLS listener
    /// (<c>Certificates:MutualTls:Url</c>) also serves the token, introspection, revocation, PAR and
    /// userinfo endpoints, advertised as <c>mtls_endpoint_aliases</c>. Needs that listener and <see cref="Issuer"/>.
    /// </summary>
    public bool MutualTlsClientAuthentication { get; set; }

    /// <summary>Portals registered from configuration at start-up (created or updated).</summary>
    public List<PortalRegistration> Clients { get; set; } = [];
}
