namespace EIdentity.SamplePortal;

/// <summary>The identity provider's levels of assurance, weakest first.</summary>
internal static class AssuranceLevels
{
    public const string Substantial = "urn:eidentity:loa:substantial";
    public const string High = "urn:eidentity:loa:high";

    private static readonly string[] Ordered = [Substantial, High];

    /// <summary>
    /// True when nothing is required, when <paramref name="reached"/> is one of the requested values,
    /// or when it is a known level at least as strong as a requested known level: the ID token states
    /// the level actually reached, so a citizen who used a hardware key gets high where substantial was asked.
    /// </summary>
    public static bool Satisfies(string? reached, IReadOnlyList<string> requested)
    {
        if (requested.Count == 0)
        {
            return true;
        }

        if (reached is null)
        {
            return false;
        }

        if (requested.Contains(reached, StringComparer.Ordinal))
        {
            return true;
        }

        var reachedRank = Array.IndexOf(Ordered, reached);
        return reachedRank >= 0 && requested.Any(value =>
        {
            var rank = Array.IndexOf(Ordered, value);
            return rank >= 0 && rank <= reachedRank;
        });
    }

    public static string Describe(string? acr) => acr switch
    {
        Substantial => "Mức đáng kể",
        High => "Mức cao",
        null or "" => "Không có thông tin",
        _ => "Mức không xác định",
    };
}
