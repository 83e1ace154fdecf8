namespace EIdentity.Server.Sessions;

internal enum LogoutDeliveryStatus
{
    /// <summary>Waiting for its first or next attempt.</summary>
    Pending,

    /// <summary>The portal answered 200 (or 204).</summary>
    Delivered,

    /// <summary>Every attempt failed; an administrator sees it and may retry.</summary>
    Failed,
}

/// <summary>
/// The outbox of OpenID Connect Back-Channel Logout 1.0: one row per (ended session, portal) that
/// registered a <c>backchannel_logout_uri</c>. Written in the same transaction that ends the
/// session, so a crash between the two cannot lose a notification; each attempt signs a fresh
/// logout token.
/// </summary>
internal sealed class LogoutDelivery
{
    public Guid Id { get; set; }

    public string SessionId { get; set; } = "";

    public string ClientId { get; set; } = "";

    public Guid PersonId { get; set; }

    /// <summary>The issuer the portal's ID token named (copied from the session's grant).</summary>
    public string Issuer { get; set; } = "";

    /// <summary>Why the session ended (logout, credential_revoked, identity_suspended, ...).</summary>
    public string Reason { get; set; } = "";

    public LogoutDeliveryStatus Status { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>What went wrong the last time (HTTP status or network error), never token content.</summary>
    public string? LastError { get; set; }
}
