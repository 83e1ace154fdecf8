using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Server.Credentials.Passkeys.Attestation;

/// <summary>
/// The Android key attestation extension (OID 1.3.6.1.4.1.11129.2.1.17, <c>KeyDescription</c>), with
/// the members WebAuthn L3 8.4 checks. Only the leading members every schema version shares are read
/// positionally; authorization lists are read by tag, so newer Keymaster and KeyMint versions parse.
/// </summary>
internal sealed class AndroidKeyDescription
{
    public const string ExtensionOid = "1.3.6.1.4.1.11129.2.1.17";

    public required byte[] AttestationChallenge { get; init; }

    public required AndroidAuthorizationList SoftwareEnforced { get; init; }

    /// <summary>The authorizations the trusted execution environment (or StrongBox) enforces.</summary>
    public required AndroidAuthorizationList TeeEnforced { get; init; }

    /// <summary>Reads the extension from the attestation certificate; null with a reason when absent or malformed.</summary>
    public static AndroidKeyDescription? TryRead(X509Certificate2 certificate, out string? error)
    {
        if (certificate.Extensions[ExtensionOid] is not { } extension)
        {
            error = "The Android key attestation certificate has no key description extension (1.3.6.1.4.1.11129.2.1.17).";
            return null;
        }

        try
        {
            // KeyDescription ::= SEQUENCE { attestationVersion, attestationSecurityLevel, keymasterVersion,
            //   keymasterSecurityLevel, attestationChallenge, uniqueId, softwareEnforced, teeEnforced, ... }
            // BER: some Keymaster implementations emit encodings that are not strictly DER.
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.BER);
            var description = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            description.ReadInteger();
            description.ReadEnumeratedBytes();
            description.ReadInteger();
            description.ReadEnumeratedBytes();
            var challenge = description.ReadOctetString();
            description.ReadOctetString();
            var softwareEnforced = AndroidAuthorizationList.Read(description.ReadSequence());
            var teeEnforced = AndroidAuthorizationList.Read(description.ReadSequence());
            error = null;
            return new AndroidKeyDescription { AttestationChallenge = challenge, SoftwareEnforced = softwareEnforced, TeeEnforced = teeEnforced };
        }
        catch (AsnContentException ex)
        {
            error = "The Android key description extension is malformed: " + ex.Message;
            return null;
        }
    }
}

/// <summary>
/// The members of a Keymaster <c>AuthorizationList</c> that WebAuthn L3 8.4 step 5 checks; every
/// member is an explicitly tagged, optional field and the others are skipped.
/// </summary>
internal sealed class AndroidAuthorizationList
{
    public const int PurposeSign = 2;
    public const int OriginGenerated = 0;

    private const int TagPurpose = 1;
    private const int TagAllApplications = 600;
    private const int TagOrigin = 702;

    /// <summary><c>purpose [1] EXPLICIT SET OF INTEGER</c>; empty when absent.</summary>
    public IReadOnlyList<long> Purposes { get; private init; } = [];

    /// <summary>Whether <c>allApplications [600] EXPLICIT NULL</c> is present.</summary>
    public bool AllApplications { get; private init; }

    /// <summary><c>origin [702] EXPLICIT INTEGER</c>; null when absent.</summary>
    public long? Origin { get; private init; }

    /// <exception cref="AsnContentException">The list is malformed.</exception>
    internal static AndroidAuthorizationList Read(AsnReader list)
    {
        List<long> purposes = [];
        var allApplications = false;
        long? origin = null;
        while (list.HasData)
        {
            var tag = list.PeekTag();
            if (tag.TagClass != TagClass.ContextSpecific)
            {
                list.ReadEncodedValue();
                continue;
            }

            switch (tag.TagValue)
            {
                case TagPurpose:
                    var set = list.ReadSequence(tag).ReadSetOf(skipSortOrderValidation: true);
                    while (set.HasData)
                    {
                        purposes.Add(ReadInt64(set));
                    }

                    break;
                case TagAllApplications:
                    list.ReadEncodedValue();
                    allApplications = true;
                    break;
                case TagOrigin:
                    origin = ReadInt64(list.ReadSequence(tag));
                    break;
                default:
                    list.ReadEncodedValue();
                    break;
            }
        }

        return new AndroidAuthorizationList { Purposes = purposes, AllApplications = allApplications, Origin = origin };
    }

    private static long ReadInt64(AsnReader reader)
        => reader.TryReadInt64(out var value) ? value : throw new AsnContentException("An authorization value is out of range.");
}
