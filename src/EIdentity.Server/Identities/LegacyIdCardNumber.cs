using System.Diagnostics.CodeAnalysis;

namespace EIdentity.Server.Identities;

/// <summary>
/// An old 9-digit identity card number (CMND), issued before the 12-digit number that CCCD and
/// 12-digit CMND cards share. It is not a <see cref="NationalIdNumber"/> and cannot be converted to one.
/// An invalid one cannot exist. Never log it: use <see cref="Masked"/> when something must be shown.
/// </summary>
internal readonly record struct LegacyIdCardNumber
{
    public const int Length = 9;

    private LegacyIdCardNumber(string value) => Value = value;

    public string Value { get; }

    /// <summary>The last three digits only, e.g. <c>••••••345</c>.</summary>
    public string Masked => new string('•', Length - 3) + Value[^3..];

    public static bool TryParse([NotNullWhen(true)] string? text, out LegacyIdCardNumber number)
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

        number = new LegacyIdCardNumber(trimmed);
        return true;
    }

    // Deliberately not the number itself, so that string interpolation into a log cannot leak it.
    public override string ToString() => Value is null ? "(none)" : Masked;
}
