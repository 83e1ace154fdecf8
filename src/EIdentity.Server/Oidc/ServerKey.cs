namespace EIdentity.Server.Oidc;

/// <summary>
/// Key material generated on first run and shared by every node through the database:
/// token signing keys (ES256, RS256), the token encryption key and the pairwise-subject secret.
/// Signing keys rotate (<c>keys rotate</c>): a new key is published before it signs, and the old
/// one stays published until everything it signed has expired.
/// </summary>
internal sealed class ServerKey
{
    public string Id { get; set; } = "";

    /// <summary><c>ES256</c>, <c>RS256</c>, <c>A256KW</c> or <c>HS256</c>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>PKCS#8 private key, or raw symmetric key bytes.</summary>
    public byte[] Material { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When a signing key starts signing; until then it is only published. Null: since it was created.</summary>
    public DateTimeOffset? ActivatesAt { get; set; }

    /// <summary>When a signing key leaves the key set (nothing it signed is still valid). Null: not scheduled.</summary>
    public DateTimeOffset? RetiresAt { get; set; }

    public bool IsSigningKey => Kind is "ES256" or "RS256";
}
