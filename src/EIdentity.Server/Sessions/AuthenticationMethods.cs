namespace EIdentity.Server.Sessions;

/// <summary>Assurance levels (acr) and RFC 8176 authentication method references (amr).</summary>
internal static class AuthenticationMethods
{
    public const string LoaSubstantial = "urn:eidentity:loa:substantial";
    public const string LoaHigh = "urn:eidentity:loa:high";

    /// <summary>The levels, lowest first.</summary>
    public static IReadOnlyList<string> Levels { get; } = [LoaSubstantial, LoaHigh];

    /// <summary>Whether a session at <paramref name="reached"/> satisfies a request for <paramref name="requested"/>.</summary>
    public static bool Satisfies(string? reached, string requested) => requested switch
    {
        LoaSubstantial => reached is LoaSubstantial or LoaHigh,
        LoaHigh => reached == LoaHigh,
        _ => false,
    };

    // RFC 8176 section 2.
    public const string ProofOfPossession = "pop";
    public const string HardwareKey = "hwk";
    public const string SoftwareKey = "swk";
    public const string UserPresence = "user";
    public const string Pin = "pin";
    public const string MultiFactor = "mfa";
    public const string SmartCard = "sc";
}
