using EIdentity.Server.Identities;

namespace EIdentity.Tests.Identities;

public sealed class TaxCodeTests
{
    [Theory]
    [InlineData("0123456789")]
    [InlineData("0000000000")]
    [InlineData("9999999999")]
    public void Ten_digits_are_the_tax_code_of_an_organization(string text)
    {
        Assert.True(TaxCode.TryParse(text, out var code));
        Assert.Equal(text, code.Value);
        Assert.Equal(text, code.Base);
        Assert.Null(code.Branch);
        Assert.Equal(code, TaxCode.Parse(text));
    }

    [Fact]
    public void Ten_digits_a_dash_and_three_digits_are_the_tax_code_of_a_branch()
    {
        var code = TaxCode.Parse("0123456789-001");

        Assert.Equal("0123456789-001", code.Value);
        Assert.Equal("0123456789", code.Base);
        Assert.Equal("001", code.Branch);
        Assert.NotEqual(TaxCode.Parse("0123456789"), code);
    }

    [Fact]
    public void Spaces_around_the_code_are_dropped()
    {
        Assert.True(TaxCode.TryParse(" 0123456789-002\t", out var code));
        Assert.Equal("0123456789-002", code.Value);
    }

    [Theory]
    [InlineData("012345678")] // 9 digits
    [InlineData("01234567890")] // 11 digits
    [InlineData("012345678901")] // 12 digits
    [InlineData("0123456789-")]
    [InlineData("0123456789-01")]
    [InlineData("0123456789-0001")]
    [InlineData("0123456789-00A")]
    [InlineData("0123456789 001")]
    [InlineData("0123456789001")] // branch without its dash
    [InlineData("0123456789/001")]
    [InlineData("0123456789 - 001")]
    [InlineData("012345678A")]
    [InlineData("-0123456789")]
    [InlineData("MST:0123456789")]
    [InlineData("０１２３４５６７８９")] // full-width digits
    [InlineData("٠١٢٣٤٥٦٧٨٩")] // Arabic-Indic digits
    [InlineData("")]
    [InlineData("          ")]
    public void Anything_else_is_refused(string text)
    {
        Assert.False(TaxCode.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => TaxCode.Parse(text));
        Assert.Contains("10 digits", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_code_is_refused()
    {
        Assert.False(TaxCode.TryParse(null, out _));
    }

    [Fact]
    public void Printing_a_tax_code_shows_all_of_it_because_it_is_public()
    {
        Assert.Equal("Organization 0123456789-001", $"Organization {TaxCode.Parse("0123456789-001")}");
        Assert.Equal("(none)", default(TaxCode).ToString());
    }
}
