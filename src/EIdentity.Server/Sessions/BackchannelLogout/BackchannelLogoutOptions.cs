using System.ComponentModel.DataAnnotations;

namespace EIdentity.Server.Sessions.BackchannelLogout;

/// <summary>Settings under <c>Sessions:BackchannelLogout</c>: how logout tokens are delivered to portals.</summary>
internal sealed class BackchannelLogoutOptions
{
    public const string Section = "Sessions:BackchannelLogout";

    /// <summary>
    /// How often every node looks for due deliveries. A node that ends a session sends at once;
    /// the poll finds rows written by other nodes and retries that have fallen due.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a portal has to answer one POST (connection included).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The wait after the first failed attempt; each further failure doubles it, up to <see cref="MaxBackoff"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Attempts before a delivery is marked <c>Failed</c>. With the defaults the last of ten attempts
    /// comes about 50 minutes after the session ended, longer than a portal session idles out.
    /// </summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 10;

    /// <summary>Lifetime of a logout token (<c>exp</c> − <c>iat</c>); short, as each attempt signs a new one.</summary>
    [Range(typeof(TimeSpan), "00:00:30", "00:10:00")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Deliveries one node sends at the same time (a suspension can end sessions at many portals).</summary>
    [Range(1, 64)]
    public int MaxConcurrentDeliveries { get; set; } = 8;

    /// <summary>
    /// How long a node holds a delivery it is sending. Another node (or this one after a restart)
    /// takes the row over only once the lease has run out, so a crash mid-send delays the delivery
    /// by this much and loses nothing.
    /// </summary>
    public TimeSpan Lease => Timeout + TimeSpan.FromSeconds(30);

    /// <summary>The wait after the <paramref name="failedAttempts"/>-th failed attempt.</summary>
    public TimeSpan BackoffAfter(int failedAttempts)
    {
        var factor = Math.Pow(2, Math.Clamp(failedAttempts - 1, 0, 30));
        var backoff = TimeSpan.FromTicks((long)Math.Min(InitialBackoff.Ticks * factor, MaxBackoff.Ticks));
        return backoff < InitialBackoff ? InitialBackoff : backoff;
    }
}
