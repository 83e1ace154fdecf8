namespace EIdentity.Server.Admin;

// The admin API's JSON (camelCase on the wire), documented with examples in docs/admin-api.md.
// Statuses are lowercase words ("active", "suspended", "pending", ...).

internal sealed record LookupRequest(string? NationalId);

/// <summary>A security officer's reason, kept in the audit log.</summary>
internal sealed record ReasonRequest(string? Reason);

internal sealed record RevokeCredentialRequest(string? CredentialId, string? Reason);

internal sealed record IdentityReference(Guid Id, string Status);

internal sealed record IdentitySummary(
    Guid Id,
    string Status,
    DateTimeOffset CreatedAt,
    SessionCounts Sessions,
    CredentialCounts Credentials);

internal sealed record SessionCounts(int Active, DateTimeOffset? LastSignInAt);

internal sealed record CredentialCounts(int ActivePasskeys, int SuspendedPasskeys, int RevokedPasskeys, int Certificates, int BlockedCertificates);

internal sealed record SessionList(Guid Identity, IReadOnlyList<SessionView> Sessions);

/// <param name="Status">active, idle (past the idle timeout, ends at its next use), expired or ended.</param>
/// <param name="CredentialId">The passkey credential id, or <c>x509:</c> + certificate thumbprint.</param>
/// <param name="Portals">Portals that took part (one entry per portal, first grant).</param>
internal sealed record SessionView(
    string Id,
    string Status,
    DateTimeOffset StartedAt,
    DateTimeOffset LastSeenAt,
    DateTimeOffset ExpiresAt,
    string Acr,
    IReadOnlyList<string> Amr,
    string? Device,
    string? CredentialId,
    IReadOnlyList<SessionPortal> Portals,
    DateTimeOffset? EndedAt,
    string? EndReason);

internal sealed record SessionPortal(string ClientId, string DisplayName, DateTimeOffset FirstGrantedAt);

internal sealed record SessionsEnded(Guid Identity, int Ended);

/// <param name="Outcome">ended, or already_ended (nothing changed).</param>
internal sealed record SessionEnded(string SessionId, Guid Identity, string Outcome, DateTimeOffset? EndedAt, string? EndReason);

internal sealed record StatusChanged(Guid Id, string Status, string Outcome, int SessionsEnded, int GrantsRevoked);

internal sealed record CredentialList(Guid Identity, IReadOnlyList<PasskeySummary> Passkeys, IReadOnlyList<CertificateSummary> Certificates);

internal sealed record PasskeySummary(
    string CredentialId,
    string? Name,
    string? Model,
    string Level,
    string Status,
    string? StatusReason,
    DateTimeOffset? StatusChangedAt,
    DateTimeOffset? AddedAt,
    DateTimeOffset? LastUsedAt);

/// <param name="CredentialId"><c>x509:</c> + thumbprint: what sessions name and <c>credentials/revoke</c> takes.</param>
internal sealed record CertificateSummary(
    string CredentialId,
    string Issuer,
    string SerialNumber,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string Level,
    Guid? OrganizationId,
    DateTimeOffset FirstUsedAt,
    DateTimeOffset LastUsedAt,
    bool Blocked);

/// <param name="Outcome">revoked / already_revoked (passkey), blocked / already_blocked (certificate).</param>
internal sealed record CredentialRevoked(string CredentialId, Guid? Identity, string Outcome);

internal sealed record DeliveryList(IReadOnlyList<DeliveryView> Deliveries);

internal sealed record DeliveryView(
    Guid Id,
    string SessionId,
    string ClientId,
    Guid Identity,
    string Reason,
    string Status,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset NextAttemptAt,
    DateTimeOffset? DeliveredAt,
    string? LastError);
