namespace EIdentity.Server.Oidc;

/// <summary>A relying-party portal's registration, from configuration or the <c>client register</c> verb.</summary>
internal sealed class PortalRegistration
{
    public string ClientId { get; set; } = "";

    /// <summary>
    /// Confidential portals authenticate with this secret (client_secret_basic or _post); with
    /// neither a secret nor a key set the portal is a public client (PKCE only). Secrets EIdentity
    /// generated (<c>client register --generate-secret</c>) are cheap to check; others cost PBKDF2.
    /// </summary>
    public string? ClientSecret { get; set; }

    /// <summary>
    /// A JSON Web Key Set (RFC 7517) of the portal's public signing keys: the portal authenticates
    /// with a signed JWT (<c>private_key_jwt</c>, RFC 7523) instead of, or besides, a secret.
    /// </summary>
    public string? JsonWebKeySet { get; set; }

    /// <summary>
    /// The portal's self-signed TLS client certificate, PEM (certificate only): the portal
    /// authenticates by presenting it in the TLS handshake on the mutual-TLS endpoint aliases
    /// (<c>self_signed_tls_client_auth</c>, RFC 8705 2.2). Kept in the portal's key set with its <c>x5c</c>.
    /// </summary>
    public string? TlsClientCertificate { get; set; }

    /// <summary>The portal proves who it is with a secret, a key set or a TLS client certificate.</summary>
    public bool IsConfidential => !string.IsNullOrEmpty(ClientSecret) || !string.IsNullOrEmpty(JsonWebKeySet) || !string.IsNullOrEmpty(TlsClientCertificate);

    public string DisplayName { get; set; } = "";

    public List<string> RedirectUris { get; set; } = [];

    public List<string> PostLogoutRedirectUris { get; set; } = [];

    /// <summary>
    /// Scopes the portal may ask for: <c>openid</c>, <c>profile</c>, <c>offline_access</c>, <c>national_id</c>;
    /// an admin client (client credentials, no redirect URI): <c>eid.admin</c>.
    /// </summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>
    /// The pairwise-subject sector. Portals sharing a sector see the same <c>sub</c>; by default
    /// each portal is its own sector (its client id).
    /// </summary>
    public string? SectorIdentifier { get; set; }

    /// <summary>Allow the <c>client_credentials</c> grant (service-to-service calls).</summary>
    public bool AllowClientCredentials { get; set; }

    /// <summary>
    /// OpenID Connect Back-Channel Logout 1.0: where EIdentity POSTs a signed <c>logout_token</c>
    /// when an SSO session this portal took part in ends.
    /// </summary>
    public string? BackchannelLogoutUri { get; set; }

    /// <summary>
    /// A first-party portal (run by the programme itself) receives personal data without a consent
    /// screen. Every other portal asks the citizen once per set of data.
    /// </summary>
    public bool FirstParty { get; set; }

    /// <summary>
    /// The lowest assurance level (<c>acr</c>) this portal accepts, whatever its requests say:
    /// <c>urn:eidentity:loa:substantial</c> or <c>urn:eidentity:loa:high</c>.
    /// </summary>
    public string? MinimumAcr { get; set; }

    /// <summary>
    /// How this portal's access tokens are signed: <c>ES256</c> (default) or <c>RS256</c>, for
    /// APIs whose JWT libraries cannot verify EC signatures.
    /// </summary>
    public string? AccessTokenAlgorithm { get; set; }

    /// <param name="time">
    /// The clock a TLS client certificate's validity period is checked against; null leaves that
    /// check out (registrations from configuration: a certificate that lapses must not stop the server).
    /// </param>
    public IEnumerable<string> Validate(TimeProvider? time = null)
    {
        if (string.IsNullOrWhiteSpace(ClientId) || ClientId.Length > 100 || !ClientId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            yield return "client id: 1-100 letters, digits, '-', '_' or '.'";
        }

        if (string.IsNullOrWhiteSpace(DisplayName))
        {
            yield return "display name is required";
        }

        foreach (var uri in RedirectUris.Concat(PostLogoutRedirectUris))
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Fragment.Length > 0)
            {
                yield return $"'{uri}' is not an absolute URI without a fragment";
            }
            else if (parsed.Scheme == Uri.UriSchemeHttp && !parsed.IsLoopback)
            {
                yield return $"'{uri}' must use https (http is allowed for loopback only)";
            }
        }

        foreach (var scope in Scopes.Where(s => !OidcScopes.All.Contains(s)))
        {
            yield return $"unknown scope '{scope}' (known: {string.Join(", ", OidcScopes.All)})";
        }

        if (RedirectUris.Count == 0 && !AllowClientCredentials)
        {
            yield return "at least one redirect URI is required (or allow client credentials)";
        }

        if (BackchannelLogoutUri is { Length: > 0 } backchannel)
        {
            if (!Uri.TryCreate(backchannel, UriKind.Absolute, out var parsed) || parsed.Fragment.Length > 0
                || (parsed.Scheme != Uri.UriSchemeHttps && !(parsed.Scheme == Uri.UriSchemeHttp && parsed.IsLoopback)))
            {
                yield return $"back-channel logout URI '{backchannel}' must be an absolute https URI without a fragment (http for loopback only)";
            }
        }

        if (MinimumAcr is { Length: > 0 } minimum && !Sessions.AuthenticationMethods.Levels.Contains(minimum))
        {
            yield return $"unknown minimum acr '{minimum}' (known: {string.Join(", ", Sessions.AuthenticationMethods.Levels)})";
        }

        // An admin token acts on every citizen's identity: only a back-end admin client, which
        // signs no one in and so cannot be handed one through a browser, may hold the scope.
        if (Scopes.Contains(OidcScopes.Admin) && (!AllowClientCredentials || RedirectUris.Count > 0 || PostLogoutRedirectUris.Count > 0))
        {
            yield return $"the '{OidcScopes.Admin}' scope is for admin clients only: client credentials allowed and no redirect URIs";
        }

        if (AllowClientCredentials && !IsConfidential)
        {
            yield return "client credentials need a confidential client (a secret or a key set, or a TLS client certificate)";
        }

        if (AccessTokenAlgorithm is { Length: > 0 } algorithm && algorithm is not ("ES256" or "RS256"))
        {
            yield return $"access token algorithm '{algorithm}': ES256 (default) or RS256";
        }

        if (JsonWebKeySet is { Length: > 0 } keySet && PortalKeySet.Check(keySet) is { } problem)
        {
            yield return "key set: " + problem;
        }

        if (TlsClientCertificate is { Length: > 0 } certificate)
        {
            if (PortalCertificate.Check(certificate, time?.GetUtcNow()) is { } certificateProblem)
            {
                yield return "TLS client certificate: " + certificateProblem;
            }

            // A secret would let anyone holding it in without the certificate's private key, on any listener.
            if (!string.IsNullOrEmpty(ClientSecret))
            {
                yield return "a portal with a TLS client certificate has no client secret: give one or the other";
            }

            // The admin API is on the main listener, which never sees a TLS client certificate: an admin
            // token bound to one (RFC 8705 3) could not be used there.
            if (Scopes.Contains(OidcScopes.Admin))
            {
                yield return $"an admin client ('{OidcScopes.Admin}') authenticates with a secret or a key set, not a TLS client certificate";
            }
        }
    }
}
