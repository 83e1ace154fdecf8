using EIdentity.Server.Credentials.Passkeys.Attestation;
using EIdentity.Server.Sessions;

namespace EIdentity.Server.Credentials.Passkeys;

internal enum PasskeyStatus
{
    Active,

    /// <summary>Refused for now (cloned-key signal, compromised model); the citizen sees why.</summary>
    Suspended,

    /// <summary>Withdrawn for good by a security officer or the citizen; the credential id can never be registered again.</summary>
    Revoked,
}

/// <summary>
/// What EIdentity knows about a passkey beyond Identity's WebAuthn record (PersonPasskeys): how it
/// was attested, which model it is, the level it can reach and where it is in its life. The row
/// outlives the Identity record when the credential is revoked, as a tombstone against re-use.
/// </summary>
internal sealed class PasskeyCredential
{
    /// <summary>The credential id, base64url.</summary>
    public string CredentialId { get; set; } = "";

    public Guid PersonId { get; set; }

    /// <summary>The attestation statement format (<c>fmt</c>).</summary>
    public string Format { get; set; } = "";

    public Guid Aaguid { get; set; }

    public AttestationType AttestationType { get; set; }

    /// <summary>Whether the attestation chained to a trust anchor of a known model.</summary>
    public bool AttestationTrusted { get; set; }

    /// <summary>The authenticator model's description from metadata, when known.</summary>
    public string? Model { get; set; }

    /// <summary>The model's metadata status when last reviewed (MDS3 status report).</summary>
    public string? ModelStatus { get; set; }

    /// <summary>The highest acr a sign-in with this key reaches.</summary>
    public string Level { get; set; } = "";

    /// <summary>The level the attestation earned at registration, before any downgrade.</summary>
    public string AttestedLevel { get; set; } = "";

    public PasskeyStatus Status { get; set; }

    /// <summary>Why the status last changed, as a reason code (e.g. <c>counter-regression</c>).</summary>
    public string? StatusReason { get; set; }

    public DateTimeOffset? StatusChangedAt { get; set; }

    public DateTimeOffset RegisteredAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    /// <summary>
    /// The record of a key enrolled before attestation was recorded: all we know is that it is a
    /// user-verified passkey.
    /// </summary>
    public static PasskeyCredential Unattested(string credentialId, Guid personId, DateTimeOffset now) => new()
    {
        CredentialId = credentialId,
        PersonId = personId,
        Format = "unknown",
        AttestationType = AttestationType.None,
        Level = AuthenticationMethods.LoaSubstantial,
        AttestedLevel = AuthenticationMethods.LoaSubstantial,
        Status = PasskeyStatus.Active,
        RegisteredAt = now,
    };
}
