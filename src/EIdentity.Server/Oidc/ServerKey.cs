namespace EIdentity.Server.Oidc;

/// <summary>
/// Key material generated on first run and shared by every node through the database:
/// token signing keys (ES256, RS256), the token encryption key and the pairwise-subject secret.
/// </summary>
internal sealed class ServerKey
{
    public string Id { get; set; } = "";

    /// <summary><c>ES256</c>, <c>RS256</c>, <c>A256KW</c> or <c>HS256</c>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>PKCS#8 private key, or raw symmetric key bytes.</summary>
    public byte[] Material { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }
}
