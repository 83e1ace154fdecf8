namespace EIdentity.Server.Credentials.Passkeys;

internal enum PasskeyCeremonyKind
{
    Registration,
    Assertion,
}

/// <summary>
/// Server-side state of one WebAuthn ceremony (the challenge and what it was issued for).
/// Stored in the database so any node can finish a ceremony another node began; deleted on the
/// first verification attempt, which makes every challenge single-use.
/// </summary>
internal sealed class PasskeyCeremony
{
    public string Id { get; set; } = "";

    public PasskeyCeremonyKind Kind { get; set; }

    /// <summary>The opaque state produced by ASP.NET Core Identity's passkey handler.</summary>
    public string State { get; set; } = "";

    /// <summary>Registration: the person enrolling. Identifier-first assertion: the person named.</summary>
    public Guid? PersonId { get; set; }

    /// <summary>Registration through an activation letter.</summary>
    public Guid? ActivationCodeId { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}
