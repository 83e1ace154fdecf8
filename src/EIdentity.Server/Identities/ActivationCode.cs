namespace EIdentity.Server.Identities;

/// <summary>
/// A one-time activation code, as printed (as a link and a QR code) on an activation letter.
/// Only its SHA-256 hash is stored; it expires and can be used once.
/// </summary>
internal sealed class ActivationCode
{
    public Guid Id { get; set; }

    public Guid PersonId { get; set; }

    public string CodeHash { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? UsedAt { get; set; }

    public bool IsUsableAt(DateTimeOffset now) => UsedAt is null && now < ExpiresAt;
}
