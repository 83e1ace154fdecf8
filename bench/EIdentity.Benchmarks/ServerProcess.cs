using System.Globalization;

namespace EIdentity.Benchmarks;

/// <summary>A server under test, known by its base address and the process that serves it.</summary>
internal sealed record ServerUnderTest(string Name, Uri Origin, int ProcessId, string ClientId, string ClientSecret, string RedirectUri)
{
    /// <summary>What this server stores, and where, in this run (for the report).</summary>
    public required string Storage { get; init; }

    /// <summary>EIdentity: the activation code of the bench citizen, whose sign-in starts the SSO session.</summary>
    public string? ActivationCode { get; init; }

    /// <summary>The <c>prompt</c> an authorization request needs for <c>offline_access</c> to be granted.</summary>
    public string? OfflineAccessPrompt { get; init; }

    /// <summary>Resource indicators (RFC 8707) to send, per scenario; EIdentity needs none.</summary>
    public string? JwtResource { get; init; }

    public string? IntrospectableResource { get; init; }

    /// <summary>oidc-provider: the resource whose JWT access tokens are RS256.</summary>
    public string? Rs256Resource { get; init; }

    /// <summary>EIdentity: a second client registered with <c>--access-token-alg RS256</c>.</summary>
    public string? Rs256ClientId { get; init; }

    public string? Rs256ClientSecret { get; init; }
}

/// <summary>
/// CPU time of a process from <c>/proc/&lt;pid&gt;/stat</c>: utime + stime (fields 14 and 15, in
/// clock ticks), summed over all its threads by the kernel.
/// </summary>
internal static class ProcessCpu
{
    public static double Seconds(int processId, int clockTicksPerSecond)
    {
        var stat = File.ReadAllText($"/proc/{processId}/stat");
        // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state), so field N is fields[N - 3].
        var utime = long.Parse(fields[14 - 3], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
        return (double)(utime + stime) / clockTicksPerSecond;
    }
}
