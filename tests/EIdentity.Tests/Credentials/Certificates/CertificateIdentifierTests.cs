using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EIdentity.Server.Credentials.Certificates;
using EIdentity.Server.Identities;

namespace EIdentity.Tests.Credentials.Certificates;

/// <summary>
/// Reading who a Vietnamese licensed-CA certificate names from its subject's UID and
/// organizationIdentifier attributes.
/// </summary>
public sealed class CertificateIdentifierTests
{
    private const string Uid = CertificateIdentifiers.UserIdOid;
    private const string OrganizationIdentifier = CertificateIdentifiers.OrganizationIdentifierOid;
    private const string Citizen = "079190000123";
    private const string Company = "0123456789";

    [Fact]
    public void Certificate_with_a_CCCD_names_that_person()
    {
        var result = Read(Subject(("CN", "Nguyễn Văn A"), (Uid, "CCCD:" + Citizen)));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal([NationalIdNumber.Parse(Citizen)], result.Ids.PersonIds);
        Assert.Empty(result.Ids.LegacyIdCardNumbers);
        Assert.Empty(result.Ids.TaxCodes);
        Assert.Equal(CertificateSubjectKind.Person, result.Kind);
        Assert.Empty(result.Problems);
        Assert.Null(result.Reason);
    }

    [Fact]
    public void Twelve_digit_CMND_names_the_person_with_that_national_id_number()
    {
        var result = Read(Subject(("CN", "Nguyễn Văn A"), (Uid, "CMND:" + Citizen)));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal([NationalIdNumber.Parse(Citizen)], result.Ids.PersonIds);
        Assert.Empty(result.Ids.LegacyIdCardNumbers);
        Assert.Equal(CertificateSubjectKind.Person, result.Kind);
    }

    [Fact]
    public void CCCD_and_twelve_digit_CMND_with_the_same_number_name_one_person()
    {
        var result = Read(Subject((Uid, "CCCD:" + Citizen), (Uid, "CMND:" + Citizen)));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal([NationalIdNumber.Parse(Citizen)], result.Ids.PersonIds);
    }

    [Fact]
    public void Nine_digit_CMND_is_an_old_id_card_number_and_not_a_national_id_number()
    {
        var result = Read(Subject(("CN", "Trần Thị B"), (Uid, "CMND:025123456")));

        Assert.True(result.IsValid, result.Reason);
        Assert.Empty(result.Ids.PersonIds);
        Assert.Equal("025123456", Assert.Single(result.Ids.LegacyIdCardNumbers).Value);
        Assert.Equal(CertificateSubjectKind.Person, result.Kind);
    }

    [Fact]
    public void Old_and_new_card_numbers_of_one_person_are_both_kept()
    {
        var result = Read(Subject((Uid, "CMND:025123456"), (Uid, "CCCD:" + Citizen)));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal([NationalIdNumber.Parse(Citizen)], result.Ids.PersonIds);
        Assert.Equal("025123456", Assert.Single(result.Ids.LegacyIdCardNumbers).Value);
    }

    [Fact]
    public void Printing_an_old_id_card_number_shows_only_its_last_three_digits()
    {
        var number = Read(Subject((Uid, "CMND:025123456"))).Ids.LegacyIdCardNumbers.Single();

        Assert.Equal("Card ••••••456", $"Card {number}");
    }

    [Fact]
    public void Organization_seal_with_an_MST_names_the_organization()
    {
        var result = Read(Subject(("CN", "CÔNG TY TNHH ABC"), (Uid, "MST:" + Company)));

        Assert.True(result.IsValid, result.Reason);
        var code = Assert.Single(result.Ids.TaxCodes);
        Assert.Equal(Company, code.Value);
        Assert.Null(code.Branch);
        Assert.Empty(result.Ids.PersonIds);
        Assert.Equal(CertificateSubjectKind.Organization, result.Kind);
    }

    [Fact]
    public void MST_with_a_branch_names_the_branch_of_its_organization()
    {
        var result = Read(Subject(("CN", "CHI NHÁNH HÀ NỘI"), (Uid, "MST:0123456789-002")));

        Assert.True(result.IsValid, result.Reason);
        var code = Assert.Single(result.Ids.TaxCodes);
        Assert.Equal((Company, "002"), (code.Base, code.Branch));
        Assert.Equal(CertificateSubjectKind.Organization, result.Kind);
    }

    [Fact]
    public void Employee_certificate_names_the_person_and_the_organization_they_act_for()
    {
        var result = Read(Subject(
            ("CN", "Nguyễn Văn A"),
            ("O", "CÔNG TY TNHH ABC"),
            (Uid, "MST:" + Company),
            (Uid, "CCCD:" + Citizen)));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal([NationalIdNumber.Parse(Citizen)], result.Ids.PersonIds);
        Assert.Equal([TaxCode.Parse(Company)], result.Ids.TaxCodes);
        Assert.Equal(CertificateSubjectKind.PersonForOrganization, result.Kind);
    }

    [Fact]
    public void Identifiers_in_one_multi_valued_RDN_are_all_read()
    {
        var name = RawName([
            [("2.5.4.3", "Nguyễn Văn A", UniversalTagNumber.UTF8String),
             (Uid, "CCCD:" + Citizen, UniversalTagNumber.UTF8String),
             (Uid, "MST:" + Company, UniversalTagNumber.UTF8String)],
            [("2.5.4.6", "VN", UniversalTagNumber.PrintableString)],
        ]);

        var result = Read(name);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal([NationalIdNumber.Parse(Citizen)], result.Ids.PersonIds);
        Assert.Equal([TaxCode.Parse(Company)], result.Ids.TaxCodes);
        Assert.Equal(CertificateSubjectKind.PersonForOrganization, result.Kind);
    }

    [Theory]
    [InlineData(UniversalTagNumber.UTF8String)]
    [InlineData(UniversalTagNumber.PrintableString)]
    [InlineData(UniversalTagNumber.IA5String)]
    [InlineData(UniversalTagNumber.BMPString)]
    public void UID_is_read_whichever_string_type_the_CA_chose(UniversalTagNumber encoding)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.Add(Uid, "CCCD:" + Citizen, encoding);

        var result = Read(builder.Build());

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal([NationalIdNumber.Parse(Citizen)], result.Ids.PersonIds);
    }

    [Theory]
    [InlineData("cccd:079190000123")]
    [InlineData("Cccd : 079190000123")]
    [InlineData("  CCCD:  079190000123  ")]
    [InlineData("cmnd:079190000123")]
    public void Prefixes_are_case_insensitive_and_spaces_around_the_parts_are_dropped(string value)
    {
        var result = Read(Subject((Uid, value)));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal([NationalIdNumber.Parse(Citizen)], result.Ids.PersonIds);
    }

    [Theory]
    [InlineData("VNTIN-0123456789", "0123456789")]
    [InlineData("0123456789", "0123456789")]
    [InlineData(" 0123456789-001 ", "0123456789-001")]
    [InlineData("vntin-0123456789-001", "0123456789-001")]
    [InlineData("VATVN-0123456789", "0123456789")]
    [InlineData("NTRVN-0123456789", "0123456789")]
    [InlineData("MST:0123456789", "0123456789")]
    public void OrganizationIdentifier_with_a_tax_code_names_the_organization(string value, string expected)
    {
        var result = Read(Subject(("CN", "CÔNG TY TNHH ABC"), (OrganizationIdentifier, value)));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal([TaxCode.Parse(expected)], result.Ids.TaxCodes);
        Assert.Equal(CertificateSubjectKind.Organization, result.Kind);
    }

    [Fact]
    public void The_same_tax_code_in_UID_and_organizationIdentifier_names_one_organization()
    {
        var result = Read(Subject((Uid, "MST:" + Company), (OrganizationIdentifier, "VNTIN-" + Company)));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal([TaxCode.Parse(Company)], result.Ids.TaxCodes);
    }

    [Fact]
    public void An_organization_and_its_branch_are_both_kept()
    {
        var result = Read(Subject((Uid, "MST:" + Company), (OrganizationIdentifier, "VNTIN-0123456789-001")));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal([TaxCode.Parse(Company), TaxCode.Parse("0123456789-001")], result.Ids.TaxCodes);
    }

    [Theory]
    [InlineData("VNTIN-01234567")]
    [InlineData("VNTIN-0123456789-1")]
    [InlineData("VNTIN-012345678A")]
    [InlineData("VNTIN 0123456789")]
    [InlineData("VATDE-0123456789")] // a German VAT number is not a Vietnamese tax code
    [InlineData("LEIXG-5493001KJTIIGC8Y1R12")]
    [InlineData("-0123456789")]
    [InlineData("")]
    public void OrganizationIdentifier_without_a_Vietnamese_tax_code_is_a_problem(string value)
    {
        var result = Read(Subject((OrganizationIdentifier, value)));

        Assert.False(result.IsValid);
        Assert.Contains("organizationIdentifier", Assert.Single(result.Problems), StringComparison.Ordinal);
        Assert.Equal(CertificateSubjectKind.None, result.Kind);
    }

    [Theory]
    [InlineData("CCCD:12345", "CCCD")]
    [InlineData("CCCD:0791900001234", "CCCD")]
    [InlineData("CCCD:07919000012A", "CCCD")]
    [InlineData("CCCD:0791 9000 0123", "CCCD")]
    [InlineData("CCCD:", "CCCD")]
    [InlineData("CCCD:０７９１９００００１２３", "CCCD")] // full-width digits
    [InlineData("CMND:0251234567", "CMND")]
    [InlineData("CMND:02512345", "CMND")]
    [InlineData("MST:012345678", "MST")]
    [InlineData("MST:0123456789-01", "MST")]
    [InlineData("MST:0123456789/001", "MST")]
    public void Malformed_identifier_is_a_problem_that_does_not_quote_the_number(string value, string prefix)
    {
        var result = Read(Subject(("CN", "Nguyễn Văn A"), (Uid, value)));

        Assert.False(result.IsValid);
        var problem = Assert.Single(result.Problems);
        Assert.Contains(prefix, problem, StringComparison.Ordinal);
        Assert.Equal(problem, result.Reason);
        var digits = value[(value.IndexOf(':', StringComparison.Ordinal) + 1)..];
        if (digits.Length > 0)
        {
            Assert.DoesNotContain(digits, problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void One_malformed_identifier_withholds_the_well_formed_ones_too()
    {
        var result = Read(Subject((Uid, "CCCD:" + Citizen), (Uid, "MST:12345")));

        Assert.False(result.IsValid);
        Assert.Empty(result.Ids.PersonIds);
        Assert.Empty(result.Ids.TaxCodes);
        Assert.Equal(CertificateSubjectKind.None, result.Kind);
    }

    [Fact]
    public void Every_malformed_identifier_is_reported()
    {
        var result = Read(Subject((Uid, "CCCD:1"), (Uid, "MST:2"), (OrganizationIdentifier, "VNTIN-3")));

        Assert.False(result.IsValid);
        Assert.Equal(3, result.Problems.Count);
    }

    [Fact]
    public void Two_different_national_id_numbers_do_not_say_who_holds_the_certificate()
    {
        var result = Read(Subject((Uid, "CCCD:" + Citizen), (Uid, "CMND:001085000111")));

        Assert.False(result.IsValid);
        Assert.Contains("more than one national ID number", result.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Ids.PersonIds);
    }

    [Fact]
    public void Two_different_organizations_do_not_say_whom_the_certificate_acts_for()
    {
        var result = Read(Subject((Uid, "MST:" + Company), (Uid, "MST:0312345678")));

        Assert.False(result.IsValid);
        Assert.Contains("more than one organization", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void CCCD_inside_the_common_name_names_nobody()
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName("Nguyễn Văn A, UID=CCCD:" + Citizen);
        builder.AddOrganizationName("CCCD:" + Citizen + " MST:" + Company);
        var name = builder.Build();

        var result = Read(name);

        Assert.Contains("CCCD:" + Citizen, name.Name, StringComparison.Ordinal);
        Assert.True(result.IsValid, result.Reason);
        Assert.Empty(result.Ids.PersonIds);
        Assert.Empty(result.Ids.TaxCodes);
        Assert.Equal(CertificateSubjectKind.None, result.Kind);
    }

    [Theory]
    [InlineData("HC:B1234567")] // passport number
    [InlineData("MNS:1234567")] // budget-unit code
    [InlineData("nguyenvana")]
    public void UID_values_that_are_not_person_or_organization_numbers_are_skipped(string value)
    {
        var result = Read(Subject(("CN", "Nguyễn Văn A"), (Uid, value)));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(CertificateSubjectKind.None, result.Kind);
    }

    [Fact]
    public void Certificate_without_identifiers_names_nobody()
    {
        var result = Read(Subject(("CN", "Nguyễn Văn A"), ("C", "VN")));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(CertificateSubjectIds.None.PersonIds, result.Ids.PersonIds);
        Assert.Empty(result.Ids.LegacyIdCardNumbers);
        Assert.Empty(result.Ids.TaxCodes);
        Assert.Equal(CertificateSubjectKind.None, result.Kind);
    }

    [Fact]
    public void UID_that_is_not_a_character_string_is_a_problem()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSetOf())
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(Uid);
            using (writer.PushSequence())
            {
                writer.WriteCharacterString(UniversalTagNumber.UTF8String, "CCCD:" + Citizen);
            }
        }

        var result = Read(new X500DistinguishedName(writer.Encode()));

        Assert.False(result.IsValid);
        Assert.Contains("UID", Assert.Single(result.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void UID_written_as_a_UniversalString_is_read()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSetOf())
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(Uid);
            // AsnWriter has no UniversalString writer: tag 28, short-form length, UCS-4 big-endian.
            var ucs4 = new UTF32Encoding(bigEndian: true, byteOrderMark: false).GetBytes("CCCD:" + Citizen);
            writer.WriteEncodedValue([(byte)UniversalTagNumber.UniversalString, (byte)ucs4.Length, .. ucs4]);
        }

        var result = Read(new X500DistinguishedName(writer.Encode()));

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal([NationalIdNumber.Parse(Citizen)], result.Ids.PersonIds);
    }

    private static CertificateIdentifiersResult Read(X500DistinguishedName subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-1), now.AddYears(1));
        return CertificateIdentifiers.Read(certificate);
    }

    /// <summary>One attribute per RDN, in order; "CN", "O" and "C" are the usual names, anything else an OID.</summary>
    private static X500DistinguishedName Subject(params (string Type, string Value)[] attributes)
    {
        // The builder encodes the last attribute added first (the string form's order), so add backwards.
        var builder = new X500DistinguishedNameBuilder();
        foreach (var (type, value) in attributes.Reverse())
        {
            switch (type)
            {
                case "CN":
                    builder.AddCommonName(value);
                    break;
                case "O":
                    builder.AddOrganizationName(value);
                    break;
                case "C":
                    builder.AddCountryOrRegion(value);
                    break;
                default:
                    builder.Add(type, value, UniversalTagNumber.UTF8String);
                    break;
            }
        }

        return builder.Build();
    }

    /// <summary>A name written by hand, for what <see cref="X500DistinguishedNameBuilder"/> cannot write: multi-valued RDNs.</summary>
    private static X500DistinguishedName RawName((string Oid, string Value, UniversalTagNumber Encoding)[][] rdns)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var rdn in rdns)
            {
                using (writer.PushSetOf())
                {
                    foreach (var (oid, value, encoding) in rdn)
                    {
                        using (writer.PushSequence())
                        {
                            writer.WriteObjectIdentifier(oid);
                            writer.WriteCharacterString(encoding, value);
                        }
                    }
                }
            }
        }

        return new X500DistinguishedName(writer.Encode());
    }
}
