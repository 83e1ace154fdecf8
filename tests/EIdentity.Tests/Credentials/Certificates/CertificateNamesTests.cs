using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using EIdentity.Server.Credentials.Certificates;

namespace EIdentity.Tests.Credentials.Certificates;

/// <summary>An officer's typed issuer name and serial must match the certificate whatever spelling either uses.</summary>
public sealed class CertificateNamesTests
{
    [Fact]
    public void Typed_issuer_matches_the_certificate_whatever_string_types_case_and_spacing()
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCountryOrRegion("VN");
        builder.Add("2.5.4.10", "Licensed  CA Company", UniversalTagNumber.PrintableString);
        builder.Add("2.5.4.3", "Dev Licensed CA 1", UniversalTagNumber.PrintableString);
        var fromCertificate = builder.Build();

        Assert.True(CertificateNames.TryParse("cn=dev licensed ca 1,  O=Licensed CA Company, C=VN", out var typed));
        Assert.Equal(CertificateNames.Canonical(fromCertificate), CertificateNames.Canonical(typed!));
    }

    [Fact]
    public void Different_issuers_do_not_match()
    {
        Assert.True(CertificateNames.TryParse("CN=Dev Licensed CA 1, C=VN", out var one));
        Assert.True(CertificateNames.TryParse("CN=Dev Licensed CA 2, C=VN", out var two));

        Assert.NotEqual(CertificateNames.Canonical(one!), CertificateNames.Canonical(two!));
    }

    [Theory]
    [InlineData("741FD11F92500A53", "741fd11f92500a53")]
    [InlineData("0x00741fd1", "741fd1")]
    [InlineData("74:1f:d1", "741fd1")]
    [InlineData("00", "0")]
    public void Serials_are_read_in_any_usual_spelling(string typed, string expected)
    {
        Assert.True(CertificateNames.TryParseSerial(typed, out var serial));
        Assert.Equal(expected, serial);
    }

    [Theory]
    [InlineData("")]
    [InlineData("xyz")]
    [InlineData("12 34 zz")]
    public void Malformed_serials_are_refused(string typed) =>
        Assert.False(CertificateNames.TryParseSerial(typed, out _));
}
