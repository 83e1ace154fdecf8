namespace EIdentity.Server.Hosting;

/// <summary>Settings at the top level: where citizens reach this server.</summary>
internal sealed class HostingOptions
{
    /// <summary>
    /// The origin printed in activation letters (e.g. <c>https://eid.example.gov.vn</c>).
    /// Empty: the first address the server listens on (Development) or http://localhost:5000 (CLI).
    /// </summary>
    public string? PublicOrigin { get; set; }
}

internal static class ActivationLinks
{
    // The code travels in the fragment, which browsers never send to a server: it cannot end up in
    // an access log or a Referer header. The activation page reads it with JavaScript.
    public static string For(string? origin, string code) =>
        $"{(string.IsNullOrWhiteSpace(origin) ? "http://localhost:5000" : origin.TrimEnd('/'))}/activate#{code}";
}
