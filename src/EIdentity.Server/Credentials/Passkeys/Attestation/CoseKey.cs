using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Server.Credentials.Passkeys.Attestation;

/// <summary>COSE algorithm identifiers (IANA COSE registry) that .NET 10 Identity verifies.</summary>
internal static class CoseAlgorithms
{
    public const int Es256 = -7;
    public const int Es384 = -35;
    public const int Es512 = -36;
    public const int Ps256 = -37;
    public const int Ps384 = -38;
    public const int Ps512 = -39;
    public const int Rs256 = -257;
    public const int Rs384 = -258;
    public const int Rs512 = -259;

    public static bool IsSupported(int algorithm) => algorithm is Es256 or Es384 or Es512 or Ps256 or Ps384 or Ps512 or Rs256 or Rs384 or Rs512;

    public static string Name(int algorithm) => algorithm switch
    {
        Es256 => "ES256",
        Es384 => "ES384",
        Es512 => "ES512",
        Ps256 => "PS256",
        Ps384 => "PS384",
        Ps512 => "PS512",
        Rs256 => "RS256",
        Rs384 => "RS384",
        Rs512 => "RS512",
        _ => $"COSE {algorithm}",
    };

    public static HashAlgorithmName Hash(int algorithm) => algorithm switch
    {
        Es256 or Ps256 or Rs256 => HashAlgorithmName.SHA256,
        Es384 or Ps384 or Rs384 => HashAlgorithmName.SHA384,
        Es512 or Ps512 or Rs512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unsupported COSE algorithm."),
    };

    public static bool IsEcdsa(int algorithm) => algorithm is Es256 or Es384 or Es512;

    public static bool IsRsaPss(int algorithm) => algorithm is Ps256 or Ps384 or Ps512;

    /// <summary>
    /// Verifies a signature as WebAuthn attestation formats encode it: ECDSA as a DER
    /// <c>Ecdsa-Sig-Value</c>, RSA as PKCS #1 v1.5 or PSS per the algorithm.
    /// </summary>
    public static bool VerifyWithCertificate(int algorithm, X509Certificate2 certificate, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (!IsSupported(algorithm))
        {
            return false;
        }

        if (IsEcdsa(algorithm))
        {
            using var ec = certificate.GetECDsaPublicKey();
            return ec is not null && ec.VerifyData(data, signature, Hash(algorithm), DSASignatureFormat.Rfc3279DerSequence);
        }

        using var rsa = certificate.GetRSAPublicKey();
        return rsa is not null && rsa.VerifyData(data, signature, Hash(algorithm), IsRsaPss(algorithm) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
    }
}

/// <summary>A credential public key in COSE_Key form (RFC 9052 7, RFC 9053 7.1 / RFC 8230 4).</summary>
internal sealed class CoseKey
{
    private const int KeyTypeEc2 = 2;
    private const int KeyTypeRsa = 3;

    private CoseKey(int keyType, int algorithm)
    {
        KeyType = keyType;
        Algorithm = algorithm;
    }

    public int KeyType { get; }

    public int Algorithm { get; }

    public ECParameters? Ec { get; private init; }

    public RSAParameters? Rsa { get; private init; }

    public static CoseKey? TryDecode(ReadOnlyMemory<byte> encoded, out string? error)
    {
        try
        {
            // Parameters by label; the meaning of -1..-3 depends on kty (EC2: crv, x, y; RSA: n, e).
            var reader = new CborReader(encoded, CborConformanceMode.Lax);
            var count = reader.ReadStartMap();
            Dictionary<int, int> numbers = [];
            Dictionary<int, byte[]> bytes = [];
            for (var i = 0; count is null || i < count; i++)
            {
                if (count is null && reader.PeekState() == CborReaderState.EndMap)
                {
                    break;
                }

                var label = reader.ReadInt32();
                switch (reader.PeekState())
                {
                    case CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger:
                        numbers[label] = reader.ReadInt32();
                        break;
                    case CborReaderState.ByteString:
                        bytes[label] = reader.ReadByteString();
                        break;
                    default:
                        reader.SkipValue();
                        break;
                }
            }

            reader.ReadEndMap();
            int? kty = numbers.TryGetValue(1, out var k) ? k : null;
            int? alg = numbers.TryGetValue(3, out var a) ? a : null;
            int? crv = numbers.TryGetValue(-1, out var c) ? c : null;
            var x = bytes.GetValueOrDefault(kty == KeyTypeRsa ? -1 : -2);
            var y = bytes.GetValueOrDefault(kty == KeyTypeRsa ? -2 : -3);
            if (kty is null || alg is null)
            {
                error = "The credential public key lacks kty or alg.";
                return null;
            }

            if (!CoseAlgorithms.IsSupported(alg.Value))
            {
                error = $"The credential algorithm {CoseAlgorithms.Name(alg.Value)} is not supported; use ES256, ES384, ES512, PS256, PS384, PS512, RS256, RS384 or RS512.";
                return null;
            }

            if (kty == KeyTypeEc2 && CoseAlgorithms.IsEcdsa(alg.Value) && x is not null && y is not null)
            {
                var curve = crv switch
                {
                    1 => ECCurve.NamedCurves.nistP256,
                    2 => ECCurve.NamedCurves.nistP384,
                    3 => ECCurve.NamedCurves.nistP521,
                    _ => (ECCurve?)null,
                };
                if (curve is null)
                {
                    error = "The credential public key uses an unsupported elliptic curve.";
                    return null;
                }

                error = null;
                return new CoseKey(kty.Value, alg.Value) { Ec = new ECParameters { Curve = curve.Value, Q = new ECPoint { X = x, Y = y } } };
            }

            if (kty == KeyTypeRsa && !CoseAlgorithms.IsEcdsa(alg.Value) && x is not null && y is not null)
            {
                // For RSA, x holds n (-1) and y holds e (-2).
                error = null;
                return new CoseKey(kty.Value, alg.Value) { Rsa = new RSAParameters { Modulus = x, Exponent = y } };
            }

            error = "The credential public key's key type does not match its algorithm.";
            return null;
        }
        catch (Exception ex) when (ex is CborContentException or InvalidOperationException or FormatException or OverflowException)
        {
            error = "The credential public key is not a valid COSE_Key: " + ex.Message;
            return null;
        }
    }

    /// <summary>Verifies a signature made with this key's private half (self attestation, assertions).</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (Ec is { } ec)
        {
            using var key = ECDsa.Create(ec);
            return key.VerifyData(data, signature, CoseAlgorithms.Hash(Algorithm), DSASignatureFormat.Rfc3279DerSequence);
        }

        using var rsa = RSA.Create(Rsa!.Value);
        return rsa.VerifyData(data, signature, CoseAlgorithms.Hash(Algorithm),
            CoseAlgorithms.IsRsaPss(Algorithm) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
    }

    /// <summary>Whether a certificate certifies exactly this public key.</summary>
    public bool IsKeyOf(X509Certificate2 certificate)
    {
        if (Ec is { } ec)
        {
            using var other = certificate.GetECDsaPublicKey();
            if (other is null)
            {
                return false;
            }

            var q = other.ExportParameters(false).Q;
            return q.X is not null && q.Y is not null && q.X.AsSpan().SequenceEqual(ec.Q.X) && q.Y.AsSpan().SequenceEqual(ec.Q.Y);
        }

        using var rsa = certificate.GetRSAPublicKey();
        if (rsa is null)
        {
            return false;
        }

        var parameters = rsa.ExportParameters(false);
        return parameters.Modulus.AsSpan().SequenceEqual(Rsa!.Value.Modulus) && parameters.Exponent.AsSpan().SequenceEqual(Rsa.Value.Exponent);
    }
}
