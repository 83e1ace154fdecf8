using System.Buffers.Binary;
using System.Formats.Cbor;

namespace EIdentity.Server.Credentials.Passkeys.Attestation;

/// <summary>WebAuthn L3 6.5.3 attestation types, as recorded with each credential.</summary>
internal enum AttestationType
{
    None,
    Self,
    Basic,
    AttestationCa,
    AnonymizationCa,
}

/// <summary>
/// A decoded attestation object (WebAuthn L3 6.5.4): the format identifier, the statement and the
/// authenticator data it covers. Decoding failures are results, not exceptions.
/// </summary>
internal sealed class AttestationObject
{
    public required string Format { get; init; }

    public required AttestationStatement Statement { get; init; }

    public required AuthenticatorData AuthenticatorData { get; init; }

    public static AttestationObject? TryParse(ReadOnlyMemory<byte> encoded, out string? error)
    {
        try
        {
            var reader = new CborReader(encoded, CborConformanceMode.Lax);
            var count = reader.ReadStartMap();
            string? format = null;
            AttestationStatement? statement = null;
            byte[]? authData = null;
            for (var i = 0; count is null || i < count; i++)
            {
                if (count is null && reader.PeekState() == CborReaderState.EndMap)
                {
                    break;
                }

                switch (reader.ReadTextString())
                {
                    case "fmt":
                        format = reader.ReadTextString();
                        break;
                    case "attStmt":
                        statement = AttestationStatement.Read(reader);
                        break;
                    case "authData":
                        authData = reader.ReadByteString();
                        break;
                    default:
                        reader.SkipValue();
                        break;
                }
            }

            reader.ReadEndMap();
            if (format is null || statement is null || authData is null)
            {
                error = "The attestation object lacks fmt, attStmt or authData.";
                return null;
            }

            var authenticatorData = AuthenticatorData.TryParse(authData, out error);
            if (authenticatorData is null)
            {
                return null;
            }

            error = null;
            return new AttestationObject { Format = format, Statement = statement, AuthenticatorData = authenticatorData };
        }
        catch (Exception ex) when (ex is CborContentException or InvalidOperationException or OverflowException)
        {
            error = "The attestation object is not valid CBOR: " + ex.Message;
            return null;
        }
        catch (FormatException ex)
        {
            error = "The attestation object is not acceptable: " + ex.Message;
            return null;
        }
    }
}

/// <summary>
/// The attestation statement map (<c>attStmt</c>) with the members the registered formats use
/// (WebAuthn L3 8.2-8.8). Unknown members are ignored; the format decides which must be present.
/// </summary>
internal sealed class AttestationStatement
{
    public const int MaxCertificates = 5;
    public const int MaxCertificateBytes = 8 * 1024;

    public int? Algorithm { get; private init; }

    public byte[]? Signature { get; private init; }

    /// <summary>The <c>x5c</c> chain as DER, attestation certificate first.</summary>
    public IReadOnlyList<byte[]> Certificates { get; private init; } = [];

    public bool HasCertificates => Certificates.Count > 0;

    /// <summary>TPM: <c>ver</c>.</summary>
    public string? Version { get; private init; }

    /// <summary>TPM: <c>certInfo</c> (TPMS_ATTEST).</summary>
    public byte[]? CertInfo { get; private init; }

    /// <summary>TPM: <c>pubArea</c> (TPMT_PUBLIC).</summary>
    public byte[]? PubArea { get; private init; }

    /// <summary>Whether the map had no members at all (the "none" format's empty map).</summary>
    public bool IsEmpty { get; private init; }

    internal static AttestationStatement Read(CborReader reader)
    {
        var count = reader.ReadStartMap();
        int? algorithm = null;
        byte[]? signature = null;
        List<byte[]> certificates = [];
        string? version = null;
        byte[]? certInfo = null;
        byte[]? pubArea = null;
        var members = 0;
        for (var i = 0; count is null || i < count; i++)
        {
            if (count is null && reader.PeekState() == CborReaderState.EndMap)
            {
                break;
            }

            members++;
            switch (reader.ReadTextString())
            {
                case "alg":
                    algorithm = reader.ReadInt32();
                    break;
                case "sig":
                    signature = reader.ReadByteString();
                    break;
                case "x5c":
                    var length = reader.ReadStartArray();
                    for (var j = 0; length is null || j < length; j++)
                    {
                        if (length is null && reader.PeekState() == CborReaderState.EndArray)
                        {
                            break;
                        }

                        // Real chains have two or three certificates of a few hundred bytes each.
                        var certificate = reader.ReadByteString();
                        if (certificates.Count == MaxCertificates || certificate.Length > MaxCertificateBytes)
                        {
                            throw new FormatException($"x5c may hold at most {MaxCertificates} certificates of at most {MaxCertificateBytes} bytes.");
                        }

                        certificates.Add(certificate);
                    }

                    reader.ReadEndArray();
                    break;
                case "ver":
                    version = reader.ReadTextString();
                    break;
                case "certInfo":
                    certInfo = reader.ReadByteString();
                    break;
                case "pubArea":
                    pubArea = reader.ReadByteString();
                    break;
                default:
                    reader.SkipValue();
                    break;
            }
        }

        reader.ReadEndMap();
        return new AttestationStatement
        {
            Algorithm = algorithm,
            Signature = signature,
            Certificates = certificates,
            Version = version,
            CertInfo = certInfo,
            PubArea = pubArea,
            IsEmpty = members == 0,
        };
    }
}

/// <summary>Authenticator data (WebAuthn L3 6.1) with attested credential data (6.5.1).</summary>
internal sealed class AuthenticatorData
{
    private const byte FlagUserPresent = 0x01;
    private const byte FlagUserVerified = 0x04;
    private const byte FlagAttestedCredentialData = 0x40;
    private const byte FlagExtensionData = 0x80;

    /// <summary>The bytes exactly as the authenticator produced them (what attestation signatures cover).</summary>
    public required byte[] Raw { get; init; }

    public required byte[] RpIdHash { get; init; }

    public required byte Flags { get; init; }

    public required uint SignCount { get; init; }

    public bool UserPresent => (Flags & FlagUserPresent) != 0;

    public bool UserVerified => (Flags & FlagUserVerified) != 0;

    /// <summary>The AAGUID in the byte order of the authenticator data (big-endian, as RFC 4122 writes it).</summary>
    public required byte[] AaguidBytes { get; init; }

    public Guid Aaguid => new(AaguidBytes, bigEndian: true);

    public required byte[] CredentialId { get; init; }

    /// <summary>The credential public key as its COSE_Key encoding.</summary>
    public required byte[] CredentialPublicKey { get; init; }

    public static AuthenticatorData? TryParse(byte[] raw, out string? error)
    {
        // rpIdHash (32) || flags (1) || signCount (4) || attestedCredentialData: aaguid (16) || L (2) || id (L) || key.
        if (raw.Length < 37 + 18)
        {
            error = "The authenticator data is too short to hold attested credential data.";
            return null;
        }

        var flags = raw[32];
        if ((flags & FlagAttestedCredentialData) == 0)
        {
            error = "The authenticator data has no attested credential data (AT flag clear).";
            return null;
        }

        var idLength = BinaryPrimitives.ReadUInt16BigEndian(raw.AsSpan(53, 2));
        if (idLength > 1023 || 55 + idLength >= raw.Length)
        {
            error = "The credential ID length in the authenticator data is invalid.";
            return null;
        }

        var keyStart = 55 + idLength;
        int keyLength;
        try
        {
            // The COSE key is a single CBOR item; extensions (ED flag) may follow it.
            var reader = new CborReader(raw.AsMemory(keyStart), CborConformanceMode.Lax, allowMultipleRootLevelValues: true);
            reader.SkipValue();
            keyLength = raw.Length - keyStart - reader.BytesRemaining;
        }
        catch (CborContentException ex)
        {
            error = "The credential public key is not valid CBOR: " + ex.Message;
            return null;
        }

        if ((flags & FlagExtensionData) == 0 && keyStart + keyLength != raw.Length)
        {
            error = "The authenticator data has trailing bytes after the credential public key.";
            return null;
        }

        error = null;
        return new AuthenticatorData
        {
            Raw = raw,
            RpIdHash = raw[..32],
            Flags = flags,
            SignCount = BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(33, 4)),
            AaguidBytes = raw[37..53],
            CredentialId = raw[55..keyStart],
            CredentialPublicKey = raw[keyStart..(keyStart + keyLength)],
        };
    }
}
