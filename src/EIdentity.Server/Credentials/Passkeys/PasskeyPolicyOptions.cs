using EIdentity.Server.Credentials.Passkeys.Metadata;

namespace EIdentity.Server.Credentials.Passkeys;

/// <summary>
/// The authenticator policy (docs/passkey-policy.md): which keys may register and which level each
/// reaches. Section <c>Passkeys:Policy</c>.
/// </summary>
internal sealed class PasskeyPolicyOptions
{
    public const string Section = "Passkeys:Policy";

    /// <summary>MDS3 statuses that compromise a model; the defaults when configuration lists none.</summary>
    public static readonly IReadOnlyList<string> DefaultRefusedStatuses =
    [
        "REVOKED",
        "ATTESTATION_KEY_COMPROMISE",
        "USER_VERIFICATION_BYPASS",
        "USER_KEY_REMOTE_COMPROMISE",
        "USER_KEY_PHYSICAL_COMPROMISE",
    ];

    /// <summary>Of the refused statuses, those that suspend keys already registered (the rest downgrade them).</summary>
    public static readonly IReadOnlyList<string> DefaultSuspendingStatuses =
    [
        "REVOKED",
        "USER_VERIFICATION_BYPASS",
        "USER_KEY_REMOTE_COMPROMISE",
        "USER_KEY_PHYSICAL_COMPROMISE",
    ];

    /// <summary>
    /// When true, only keys whose attestation chains to a known model (allow-list or MDS3) may
    /// register. When false (the default) any user-verified passkey registers at substantial.
    /// </summary>
    public bool RequireKnownAuthenticator { get; set; }

    /// <summary>Which metadata sources may vouch for a hardware model at high; both by default.</summary>
    public AuthenticatorSource[]? HighLevelSources { get; set; }

    /// <summary>Model statuses that make registration fail.</summary>
    public string[]? RefusedStatuses { get; set; }

    /// <summary>Statuses that suspend keys registered before the status appeared; other refused statuses downgrade them to substantial.</summary>
    public string[]? SuspendingStatuses { get; set; }

    public IReadOnlyList<AuthenticatorSource> EffectiveHighLevelSources
        => HighLevelSources is { Length: > 0 } sources ? sources : [AuthenticatorSource.AllowList, AuthenticatorSource.MetadataService];

    public IReadOnlyList<string> EffectiveRefusedStatuses
        => RefusedStatuses is { Length: > 0 } statuses ? statuses : DefaultRefusedStatuses;

    public IReadOnlyList<string> EffectiveSuspendingStatuses
        => SuspendingStatuses is { Length: > 0 } statuses ? statuses : DefaultSuspendingStatuses;
}
