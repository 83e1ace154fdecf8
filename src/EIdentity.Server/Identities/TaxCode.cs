using System.Diagnostics.CodeAnalysis;

namespace EIdentity.Server.Identities;

/// <summary>
/// A Vietnamese tax code (mã số thuế, MST): exactly 10 ASCII digits, optionally followed by
/// <c>-</c> and a 3-digit branch number (a dependent unit of the organization with that base code).
/// An invalid one cannot exist.
/// </summary>
/// <remarks>
/// The check digit (the 10th) is not verified: licensed CAs copy the code from the business registry,
/// and refusing a registered code over our own arithmetic would lock an organization out with no remedy.
/// </remarks>
internal readonly record struct TaxCode
{
    public const int BaseLength = 10;
    public const int BranchLength = 3;

    private TaxCode(string value) => Value = value;

    /// <summary>The whole code, e.g. <c>0123456789</c> or <c>0123456789-001</c>.</summary>
    public string Value { get; }

    /// <summary>The 10 digits that name the organization.</summary>
    public string Base => Value[..BaseLength];

    /// <summary>The 3-digit branch number, or null for the organization itself.</summary>
    public string? Branch => Value.Length > BaseLength ? Value[(BaseLength + 1)..] : null;

    public static bool TryParse([NotNullWhen(true)] string? text, out TaxCode code)
    {
        code = default;
        if (text is null)
        {
            return false;
        }

        var trimmed = text.Trim();
        var isBase = trimmed.Length == BaseLength && trimmed.All(char.IsAsciiDigit);
        var isBranch = trimmed.Length == BaseLength + 1 + BranchLength
            && trimmed[BaseLength] == '-'
            && trimmed[..BaseLength].All(char.IsAsciiDigit)
            && trimmed[(BaseLength + 1)..].All(char.IsAsciiDigit);
        if (!isBase && !isBranch)
        {
            return false;
        }

        code = new TaxCode(trimmed);
        return true;
    }

    public static TaxCode Parse(string text) =>
        TryParse(text, out var code)
            ? code
            : throw new FormatException("A tax code (MST) has exactly 10 digits, optionally followed by '-' and a 3-digit branch number.");

    // Printed in full, unlike NationalIdNumber: a tax code names a business, and the tax authority
    // publishes it with the business's name and address, so showing it discloses nothing about a person.
    public override string ToString() => Value ?? "(none)";
}
