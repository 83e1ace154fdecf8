using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EIdentity.Server.Identities;

namespace EIdentity.Server.Credentials.Certificates;

/// <summary>Whom a certificate's subject identifiers name.</summary>
internal enum CertificateSubjectKind
{
    /// <summary>No identifier we know: the certificate cannot be matched to an identity.</summary>
    None,

    /// <summary>A person (CCCD or CMND) and no organization.</summary>
    Person,

    /// <summary>An organization (MST) and no person: an organization's own seal certificate.</summary>
    Organization,

    /// <summary>A person acting for an organization (both), e.g. an employee's certificate.</summary>
    PersonForOrganization,
}

/// <summary>
/// The identifiers a Vietnamese licensed-CA certificate carries for its subject. Each list holds
/// distinct values in the order the subject lists them.
/// </summary>
/// <param name="PersonIds">12-digit numbers from <c>CCCD:</c> and 12-digit <c>CMND:</c> values (one namespace).</param>
/// <param name="LegacyIdCardNumbers">Old 9-digit numbers from <c>CMND:</c> values.</param>
/// <param name="TaxCodes">Tax codes from <c>MST:</c> values and organizationIdentifier.</param>
internal sealed record CertificateSubjectIds(
    IReadOnlyList<NationalIdNumber> PersonIds,
    IReadOnlyList<LegacyIdCardNumber> LegacyIdCardNumbers,
    IReadOnlyList<TaxCode> TaxCodes)
{
    public static CertificateSubjectIds None { get; } = new([], [], []);

    public CertificateSubjectKind Kind =>
        (PersonIds.Count > 0 || LegacyIdCardNumbers.Count > 0, TaxCodes.Count > 0) switch
        {
            (true, true) => CertificateSubjectKind.PersonForOrganization,
            (true, false) => CertificateSubjectKind.Person,
            (false, true) => CertificateSubjectKind.Organization,
            (false, false) => CertificateSubjectKind.None,
        };
}

/// <summary>
/// What <see cref="CertificateIdentifiers.Read"/> found. When any identifier is malformed or the
/// identifiers contradict each other, the result is invalid and carries no identifiers at all, so a
/// caller that forgets to check <see cref="IsValid"/> still cannot match a half-read subject.
/// Problems never quote the values: they may be national ID numbers.
/// </summary>
internal sealed record CertificateIdentifiersResult(bool IsValid, CertificateSubjectIds Ids, IReadOnlyList<string> Problems)
{
    public string? Reason => Problems.Count == 0 ? null : string.Join(" ", Problems);

    public CertificateSubjectKind Kind => Ids.Kind;

    public static CertificateIdentifiersResult Valid(CertificateSubjectIds ids) => new(true, ids, []);

    public static CertificateIdentifiersResult Invalid(IReadOnlyList<string> problems) => new(false, CertificateSubjectIds.None, problems);
}

/// <summary>
/// Reads the person and organization identifiers from a certificate's subject by attribute type,
/// never from the subject's string form (a CN that merely contains <c>CCCD:</c> names nobody).
/// </summary>
/// <remarks>
/// Vietnamese licensed CAs put identifiers in one or more UID attributes as <c>CCCD:</c> + 12 digits,
/// <c>CMND:</c> + 9 or 12 digits, and <c>MST:</c> + a tax code; some add organizationIdentifier.
/// UID values with other prefixes (<c>HC:</c> passport, <c>MNS:</c> budget-unit code) or none are not
/// identifiers we match on and are skipped; a known prefix with a malformed number is a problem.
/// </remarks>
internal static class CertificateIdentifiers
{
    /// <summary><c>uid</c> (RFC 4519 2.39, RFC 4514 table 3).</summary>
    public const string UserIdOid = "0.9.2342.19200300.100.1.1";

    /// <summary><c>organizationIdentifier</c> (X.520 6.4.4; ETSI EN 319 412-1 5.1.4).</summary>
    public const string OrganizationIdentifierOid = "2.5.4.97";

    // Prefixes seen before a tax code in organizationIdentifier: ETSI's "<type><country>-" forms with
    // VN, the country-first variant some CAs write, and the Vietnamese abbreviation. A foreign form
    // (VATDE-, LEIXG-) is not read as a tax code even when its digits happen to fit.
    private static readonly HashSet<string> TaxCodePrefixes = new(StringComparer.OrdinalIgnoreCase)
    {
        "MST", "TIN", "VNTIN", "TINVN", "VATVN", "NTRVN", "VNMST",
    };

    private static readonly UTF32Encoding UniversalStringEncoding = new(bigEndian: true, byteOrderMark: false, throwOnInvalidCharacters: true);

    public static CertificateIdentifiersResult Read(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);

        var persons = new List<NationalIdNumber>();
        var legacy = new List<LegacyIdCardNumber>();
        var taxCodes = new List<TaxCode>();
        var problems = new List<string>();

        try
        {
            // RFC 5280 4.1.2.6 / 4.1.2.4: Name ::= SEQUENCE OF RelativeDistinguishedName,
            // RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue,
            // AttributeTypeAndValue ::= SEQUENCE { type OBJECT IDENTIFIER, value ANY DEFINED BY type }.
            // BER: some CAs emit multi-valued RDNs whose SET members are not in DER order.
            var reader = new AsnReader(certificate.SubjectName.RawData, AsnEncodingRules.BER);
            var name = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (name.HasData)
            {
                var rdn = name.ReadSetOf();
                while (rdn.HasData)
                {
                    var attribute = rdn.ReadSequence();
                    var type = attribute.ReadObjectIdentifier();
                    switch (type)
                    {
                        case UserIdOid:
                            if (ReadDirectoryString(attribute, "UID", problems) is { } userId)
                            {
                                ReadUserId(userId, persons, legacy, taxCodes, problems);
                            }

                            break;
                        case OrganizationIdentifierOid:
                            if (ReadDirectoryString(attribute, "organizationIdentifier", problems) is { } organizationId)
                            {
                                ReadOrganizationIdentifier(organizationId, taxCodes, problems);
                            }

                            break;
                        default:
                            attribute.ReadEncodedValue();
                            break;
                    }

                    attribute.ThrowIfNotEmpty();
                }
            }
        }
        catch (AsnContentException)
        {
            return CertificateIdentifiersResult.Invalid(["The certificate's subject name is not a well-formed X.500 name."]);
        }

        // One certificate has one subject: a person has one 12-digit number (CCCD and 12-digit CMND
        // share it), and a person acts for one organization and its branches.
        if (persons.Count > 1)
        {
            problems.Add("The certificate names more than one national ID number, so it does not say which person holds it.");
        }

        if (taxCodes.Select(code => code.Base).Distinct(StringComparer.Ordinal).Count() > 1)
        {
            problems.Add("The certificate names more than one organization's tax code.");
        }

        return problems.Count > 0
            ? CertificateIdentifiersResult.Invalid(problems)
            : CertificateIdentifiersResult.Valid(new CertificateSubjectIds(persons, legacy, taxCodes));
    }

    /// <summary>
    /// Reads a DirectoryString (X.520; RFC 5280 4.1.2.4) or one of the string types UID has also been
    /// written with (IA5String, RFC 4519 2.39 / COSINE). Null with a problem for anything else.
    /// </summary>
    internal static string? ReadDirectoryString(AsnReader attribute, string attributeName, List<string> problems)
    {
        var tag = attribute.PeekTag();
        if (tag.TagClass == TagClass.Universal)
        {
            switch ((UniversalTagNumber)tag.TagValue)
            {
                case UniversalTagNumber.UTF8String:
                case UniversalTagNumber.PrintableString:
                case UniversalTagNumber.IA5String:
                case UniversalTagNumber.BMPString:
                case UniversalTagNumber.T61String:
                case UniversalTagNumber.VisibleString:
                case UniversalTagNumber.NumericString:
                    return attribute.ReadCharacterString((UniversalTagNumber)tag.TagValue);
                case UniversalTagNumber.UniversalString:
                    // X.680 41: UCS-4, big-endian; AsnReader has no decoder for it.
                    if (!attribute.TryReadPrimitiveCharacterStringBytes(tag, out var bytes))
                    {
                        attribute.ReadEncodedValue();
                        problems.Add($"A {attributeName} attribute is a constructed UniversalString, which DER forbids.");
                        return null;
                    }

                    try
                    {
                        return UniversalStringEncoding.GetString(bytes.Span);
                    }
                    catch (ArgumentException)
                    {
                        problems.Add($"A {attributeName} attribute is not a well-formed UniversalString.");
                        return null;
                    }
            }
        }

        attribute.ReadEncodedValue();
        problems.Add($"A {attributeName} attribute is not a character string.");
        return null;
    }

    private static void ReadUserId(
        string value,
        List<NationalIdNumber> persons,
        List<LegacyIdCardNumber> legacy,
        List<TaxCode> taxCodes,
        List<string> problems)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return;
        }

        var prefix = value[..colon].Trim();
        var number = value[(colon + 1)..].Trim();
        if (prefix.Equals("CCCD", StringComparison.OrdinalIgnoreCase))
        {
            if (NationalIdNumber.TryParse(number, out var person))
            {
                AddDistinct(persons, person);
            }
            else
            {
                problems.Add("A UID attribute marked CCCD does not hold exactly 12 digits.");
            }
        }
        else if (prefix.Equals("CMND", StringComparison.OrdinalIgnoreCase))
        {
            // A 12-digit CMND card carries the same personal identification number a CCCD card does.
            if (NationalIdNumber.TryParse(number, out var person))
            {
                AddDistinct(persons, person);
            }
            else if (LegacyIdCardNumber.TryParse(number, out var old))
            {
                AddDistinct(legacy, old);
            }
            else
            {
                problems.Add("A UID attribute marked CMND holds neither 9 nor 12 digits.");
            }
        }
        else if (prefix.Equals("MST", StringComparison.OrdinalIgnoreCase))
        {
            if (TaxCode.TryParse(number, out var code))
            {
                AddDistinct(taxCodes, code);
            }
            else
            {
                problems.Add("A UID attribute marked MST does not hold a tax code (10 digits, optionally '-' and a 3-digit branch).");
            }
        }
    }

    private static void ReadOrganizationIdentifier(string value, List<TaxCode> taxCodes, List<string> problems)
    {
        var text = value.Trim();
        var letters = 0;
        while (letters < text.Length && char.IsAsciiLetter(text[letters]))
        {
            letters++;
        }

        var candidate = letters == 0
            ? text
            : letters < text.Length && text[letters] is '-' or ':' && TaxCodePrefixes.Contains(text[..letters])
                ? text[(letters + 1)..]
                : null;

        if (TaxCode.TryParse(candidate, out var code))
        {
            AddDistinct(taxCodes, code);
        }
        else
        {
            problems.Add("The organizationIdentifier attribute is not a Vietnamese tax code.");
        }
    }

    private static void AddDistinct<T>(List<T> values, T value)
    {
        if (!values.Contains(value))
        {
            values.Add(value);
        }
    }
}
