using System.ComponentModel.DataAnnotations;

namespace EIdentity.Server.Credentials.Passkeys;

/// <summary>Settings under <c>Passkeys</c>.</summary>
internal sealed class PasskeyOptions
{
    public const string Section = "Passkeys";

    /// <summary>
    /// The WebAuthn relying-party id: the registrable domain the keys are bound to (e.g. <c>eid.gov.vn</c>).
    /// Changing it later makes every enrolled key unusable.
    /// </summary>
    [Required]
    public string RpId { get; set; } = "localhost";

    /// <summary>
    /// Origins allowed in clientDataJSON (scheme://host[:port]). Empty: only the origin of the
    /// request itself is accepted.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>How long a ceremony (challenge) stays valid.</summary>
    [Range(typeof(TimeSpan), "00:00:30", "00:30:00")]
    public TimeSpan CeremonyLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Adding or removing a key needs a sign-in this recent: a stolen or forgotten session cookie
    /// alone cannot change how the citizen signs in.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "01:00:00")]
    public TimeSpan KeyChangeSignInWindow { get; set; } = TimeSpan.FromMinutes(10);

    public bool IsRecentEnoughForKeyChanges(DateTimeOffset authenticatedAt, DateTimeOffset now) => now - authenticatedAt <= KeyChangeSignInWindow;
}
