using System.Buffers.Binary;
using System.Security.Cryptography;

namespace EIdentity.Server.Credentials.Passkeys.Attestation;

/// <summary>TPM 2.0 constants used by the WebAuthn "tpm" format (TPM 2.0 Library Part 2, 6.2, 6.3, 6.4, 6.9).</summary>
internal static class TpmConstants
{
    public const uint GeneratedValue = 0xff544347;
    public const ushort StAttestCertify = 0x8017;

    public const ushort AlgRsa = 0x0001;
    public const ushort AlgSha1 = 0x0004;
    public const ushort AlgSha256 = 0x000B;
    public const ushort AlgSha384 = 0x000C;
    public const ushort AlgSha512 = 0x000D;
    public const ushort AlgNull = 0x0010;
    public const ushort AlgEcdaa = 0x001A;
    public const ushort AlgEcc = 0x0023;

    public const ushort EccNistP256 = 0x0003;
    public const ushort EccNistP384 = 0x0004;
    public const ushort EccNistP521 = 0x0005;

    /// <summary>The default RSA public exponent a TPM means when TPMS_RSA_PARMS.exponent is zero (Part 2, 12.2.3.5).</summary>
    public const uint DefaultRsaExponent = 65537;

    public static HashAlgorithmName? Hash(ushort algorithm) => algorithm switch
    {
        AlgSha1 => HashAlgorithmName.SHA1,
        AlgSha256 => HashAlgorithmName.SHA256,
        AlgSha384 => HashAlgorithmName.SHA384,
        AlgSha512 => HashAlgorithmName.SHA512,
        _ => null,
    };

    /// <summary>The OID of a TPM_ECC_CURVE, or null when the curve is not one .NET verifies with.</summary>
    public static string? CurveOid(ushort curve) => curve switch
    {
        EccNistP256 => "1.2.840.10045.3.1.7",
        EccNistP384 => "1.3.132.0.34",
        EccNistP521 => "1.3.132.0.35",
        _ => null,
    };
}

/// <summary>
/// A TPMS_ATTEST structure (TPM 2.0 Library Part 2, 10.12.12) as the "tpm" format carries it in
/// <c>certInfo</c>. The attested member is decoded only for TPM_ST_ATTEST_CERTIFY (TPMS_CERTIFY_INFO, 10.12.3).
/// </summary>
internal sealed class TpmAttest
{
    public required uint Magic { get; init; }

    public required ushort Type { get; init; }

    public required byte[] ExtraData { get; init; }

    /// <summary>TPMS_CERTIFY_INFO.name: the Name of the certified object; null unless <see cref="Type"/> is certify.</summary>
    public byte[]? CertifiedName { get; init; }

    public static TpmAttest? TryParse(ReadOnlySpan<byte> data, out string? error)
    {
        var reader = new TpmReader(data);
        var magic = reader.ReadUInt32();
        var type = reader.ReadUInt16();
        reader.ReadSized();
        var extraData = reader.ReadSized();

        // TPMS_CLOCK_INFO: clock (8), resetCount (4), restartCount (4), safe (1); then firmwareVersion (8).
        reader.Skip(8 + 4 + 4 + 1 + 8);
        byte[]? name = null;
        if (type == TpmConstants.StAttestCertify)
        {
            name = reader.ReadSized().ToArray();
            reader.ReadSized();
        }

        if (reader.Truncated || (type == TpmConstants.StAttestCertify && !reader.AtEnd))
        {
            error = reader.Truncated ? "The TPM certInfo is truncated." : "The TPM certInfo has trailing bytes after TPMS_CERTIFY_INFO.";
            return null;
        }

        error = null;
        return new TpmAttest { Magic = magic, Type = type, ExtraData = extraData.ToArray(), CertifiedName = name };
    }
}

/// <summary>
/// A TPMT_PUBLIC structure (TPM 2.0 Library Part 2, 12.2.4) as the "tpm" format carries it in
/// <c>pubArea</c>, for RSA and ECC keys.
/// </summary>
internal sealed class TpmPublicArea
{
    public required ushort Type { get; init; }

    public required ushort NameAlg { get; init; }

    /// <summary>RSA: the modulus (TPM2B_PUBLIC_KEY_RSA).</summary>
    public byte[] Modulus { get; init; } = [];

    /// <summary>RSA: the public exponent, with a zero in the structure already read as 65537.</summary>
    public uint Exponent { get; init; }

    /// <summary>ECC: the TPM_ECC_CURVE identifier.</summary>
    public ushort CurveId { get; init; }

    public byte[] X { get; init; } = [];

    public byte[] Y { get; init; } = [];

    public static TpmPublicArea? TryParse(ReadOnlySpan<byte> data, out string? error)
    {
        var reader = new TpmReader(data);
        var type = reader.ReadUInt16();
        var nameAlg = reader.ReadUInt16();
        reader.ReadUInt32();
        reader.ReadSized();
        if (reader.Truncated)
        {
            error = "The TPM pubArea is truncated.";
            return null;
        }

        TpmPublicArea area;
        switch (type)
        {
            case TpmConstants.AlgRsa:
                // TPMS_RSA_PARMS (12.2.3.5): symmetric, scheme, keyBits, exponent; unique is TPM2B_PUBLIC_KEY_RSA.
                SkipSymmetric(ref reader);
                SkipScheme(ref reader);
                reader.ReadUInt16();
                var exponent = reader.ReadUInt32();
                var modulus = reader.ReadSized();
                area = new TpmPublicArea
                {
                    Type = type,
                    NameAlg = nameAlg,
                    Exponent = exponent == 0 ? TpmConstants.DefaultRsaExponent : exponent,
                    Modulus = modulus.ToArray(),
                };
                break;
            case TpmConstants.AlgEcc:
                // TPMS_ECC_PARMS (12.2.3.6): symmetric, scheme, curveID, kdf; unique is TPMS_ECC_POINT.
                SkipSymmetric(ref reader);
                SkipScheme(ref reader);
                var curve = reader.ReadUInt16();
                SkipScheme(ref reader);
                var x = reader.ReadSized();
                var y = reader.ReadSized();
                area = new TpmPublicArea { Type = type, NameAlg = nameAlg, CurveId = curve, X = x.ToArray(), Y = y.ToArray() };
                break;
            default:
                error = $"The TPM pubArea holds a key of type 0x{type:X4}; only RSA and ECC keys are supported.";
                return null;
        }

        if (reader.Truncated || !reader.AtEnd)
        {
            error = reader.Truncated ? "The TPM pubArea is truncated." : "The TPM pubArea has trailing bytes after the public key.";
            return null;
        }

        error = null;
        return area;
    }

    /// <summary>Whether this public area describes exactly the credential public key.</summary>
    public bool Matches(CoseKey key)
    {
        if (key.Ec is { } ec)
        {
            return Type == TpmConstants.AlgEcc
                && TpmConstants.CurveOid(CurveId) is { } oid
                && ec.Curve.Oid?.Value == oid
                && SameUnsigned(X, ec.Q.X)
                && SameUnsigned(Y, ec.Q.Y);
        }

        if (key.Rsa is { } rsa)
        {
            return Type == TpmConstants.AlgRsa
                && SameUnsigned(Modulus, rsa.Modulus)
                && ToUInt32(rsa.Exponent) == Exponent;
        }

        return false;
    }

    // TPMT_SYM_DEF_OBJECT (11.1.7): algorithm, then keyBits and mode unless it is TPM_ALG_NULL.
    private static void SkipSymmetric(ref TpmReader reader)
    {
        if (reader.ReadUInt16() != TpmConstants.AlgNull)
        {
            reader.Skip(2 + 2);
        }
    }

    // TPMT_RSA_SCHEME / TPMT_ECC_SCHEME / TPMT_KDF_SCHEME (11.2.4.2, 11.2.5.6, 11.2.3.3): scheme, then
    // hashAlg unless it is TPM_ALG_NULL; ECDAA adds a count.
    private static void SkipScheme(ref TpmReader reader)
    {
        var scheme = reader.ReadUInt16();
        if (scheme != TpmConstants.AlgNull)
        {
            reader.Skip(scheme == TpmConstants.AlgEcdaa ? 4 : 2);
        }
    }

    private static uint? ToUInt32(ReadOnlySpan<byte> bigEndian)
    {
        bigEndian = bigEndian.TrimStart((byte)0);
        if (bigEndian.Length > 4)
        {
            return null;
        }

        uint value = 0;
        foreach (var b in bigEndian)
        {
            value = (value << 8) | b;
        }

        return value;
    }

    // Big-endian unsigned integers compared by value: TPMs and COSE may differ in leading zeros.
    private static bool SameUnsigned(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        left = left.TrimStart((byte)0);
        right = right.TrimStart((byte)0);
        return left.Length > 0 && left.SequenceEqual(right);
    }
}

/// <summary>
/// Reads big-endian TPM 2.0 marshalled values. Reading past the end yields zeros and sets
/// <see cref="Truncated"/>, so a parser checks once instead of after every field.
/// </summary>
internal ref struct TpmReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public bool Truncated { get; private set; }

    public readonly bool AtEnd => _position == _data.Length;

    public ushort ReadUInt16() => Take(2) is { Length: 2 } bytes ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : (ushort)0;

    public uint ReadUInt32() => Take(4) is { Length: 4 } bytes ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : 0;

    /// <summary>A TPM2B_* value: a 16-bit size followed by that many bytes.</summary>
    public ReadOnlySpan<byte> ReadSized() => Take(ReadUInt16());

    public void Skip(int count) => Take(count);

    private ReadOnlySpan<byte> Take(int count)
    {
        if (Truncated || count > _data.Length - _position)
        {
            Truncated = true;
            return [];
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }
}
