using EIdentity.Server.Identities;

namespace EIdentity.Tests.Identities;

public sealed class NationalIdNumberTests
{
    [Theory]
    [InlineData("001085000111")]
    [InlineData("000000000000")]
    [InlineData("999999999999")]
    public void Twelve_digits_are_a_national_id_number(string text)
    {
        Assert.True(NationalIdNumber.TryParse(text, out var number));
        Assert.Equal(text, number.Value);
        Assert.Equal(text, NationalIdNumber.Parse(text).Value);
    }

    [Fact]
    public void Spaces_around_the_number_as_typed_into_a_form_are_dropped()
    {
        Assert.True(NationalIdNumber.TryParse(" 001085000111\t", out var number));
        Assert.Equal("001085000111", number.Value);
    }

    [Theory]
    [InlineData("00108500011")] // 11 digits
    [InlineData("0010850001111")] // 13 digits
    [InlineData("00108500011A")]
    [InlineData("abcdefghijkl")]
    [InlineData("0010 8500 0111")]
    [InlineData("001-085-000-111")]
    [InlineData("+01085000111")]
    [InlineData("００１０８５０００１１１")] // full-width digits
    [InlineData("٠٠١٠٨٥٠٠٠١١١")] // Arabic-Indic digits
    [InlineData("")]
    [InlineData("            ")]
    [InlineData("\t\n")]
    public void Anything_but_exactly_twelve_ascii_digits_is_refused(string text)
    {
        Assert.False(NationalIdNumber.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => NationalIdNumber.Parse(text));
        Assert.Contains("12", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_number_is_refused()
    {
        Assert.False(NationalIdNumber.TryParse(null, out _));
    }

    [Fact]
    public void Printing_a_number_shows_only_its_last_four_digits()
    {
        var number = NationalIdNumber.Parse("001085004321");

        Assert.Equal("••••••••4321", number.ToString());
        Assert.Equal("••••••••4321", number.Masked);
        Assert.Equal("Identity of ••••••••4321", $"Identity of {number}");
        Assert.DoesNotContain("00108500", $"{number} {number.Masked}", StringComparison.Ordinal);
    }

    [Fact]
    public void An_unset_number_prints_as_none_rather_than_failing()
    {
        Assert.Equal("(none)", default(NationalIdNumber).ToString());
    }

    [Fact]
    public void Two_numbers_with_the_same_digits_are_the_same_number()
    {
        Assert.Equal(NationalIdNumber.Parse("001085000111"), NationalIdNumber.Parse(" 001085000111 "));
        Assert.NotEqual(NationalIdNumber.Parse("001085000111"), NationalIdNumber.Parse("001085000112"));
    }
}
