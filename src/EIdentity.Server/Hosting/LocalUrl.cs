namespace EIdentity.Server.Hosting;

internal static class LocalUrl
{
    /// <summary>Only same-site paths are followed after sign-in: never an open redirect.</summary>
    public static string OrHome(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal)
            && !url.StartsWith("/\\", StringComparison.Ordinal) && !url.Contains('\r') && !url.Contains('\n')
            ? url
            : "/";
}
