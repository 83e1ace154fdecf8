using System.Diagnostics.CodeAnalysis;

namespace EIdentity.Server.Identities;

/// <summary>
/// A Vietnamese citizen identity card number (CCCD): exactly 12 decimal digits.
/// An invalid one cannot exist. Never log it: use <see cref="Masked"/> when something must be shown.
/// </summary>
internal readonly record struct NationalIdNumber
{
    public const int Length = 12;

    private NationalIdNumber(string value) => Value = value;

    public string Value { get; }

    /// <summary>The last four digits only, e.g. <c>••••••••2345</c>.</summary>
    public string Masked => new string('•', Length - 4) + Value[^4..];

    public static bool TryParse([NotNullWhen(true)] string? text, out NationalIdNumber number)
    {
        number = default;
        if (text is null)
        {
            return false;
        }

        var trimmed = text.Trim();
        if (trimmed.Length != Length || !trimmed.All(char.IsAsciiDigit))
        {
            return false;
        }

        number = new NationalIdNumber(trimmed);
        return true;
    }

    public static NationalIdNumber Parse(string text) =>
        TryParse(text, out var number)
            ? number
            : throw new FormatException("A national ID number (CCCD) has exactly 12 digits.");

    // Deliberately not the number itself, so that string interpolation into a log cannot leak it.
    public override string ToString() => Value is null ? "(none)" : Masked;
}
