using System.ComponentModel.DataAnnotations;

namespace EIdentity.Server.Sessions;

/// <summary>Settings under <c>Sessions</c>.</summary>
internal sealed class SessionOptions
{
    public const string Section = "Sessions";

    /// <summary>Name of the session cookie; distinct from every portal's cookie on a shared host.</summary>
    [Required]
    public string CookieName { get; set; } = "eid.session";

    /// <summary>A session ends when unused for this long.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A session ends this long after sign-in, however active.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan AbsoluteTimeout { get; set; } = TimeSpan.FromHours(8);
}
