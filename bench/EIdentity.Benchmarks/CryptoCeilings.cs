using System.Diagnostics;
using System.Security.Cryptography;

namespace EIdentity.Benchmarks;

/// <summary>
/// Single-thread rates of the primitives each scenario cannot avoid, measured on this machine so
/// the tables can be read against them (issue 6: "the ceiling to compare with is the cryptography").
/// </summary>
internal static class CryptoCeilings
{
    public static IReadOnlyList<(string Name, double PerSecond)> Measure(TimeSpan each)
    {
        var payload = RandomNumberGenerator.GetBytes(300);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ecSignature = ec.SignData(payload, HashAlgorithmName.SHA256);
        using var rsa = RSA.Create(3072);
        var secret = RandomNumberGenerator.GetBytes(32);
        var salt = RandomNumberGenerator.GetBytes(16);
        using var hmac = new HMACSHA256(RandomNumberGenerator.GetBytes(32));

        return
        [
            ("ES256 sign (P-256)", Rate(each, () => ec.SignData(payload, HashAlgorithmName.SHA256))),
            ("ES256 verify (P-256)", Rate(each, () => ec.VerifyData(payload, ecSignature, HashAlgorithmName.SHA256))),
            ("RS256 sign (RSA 3072)", Rate(each, () => rsa.SignData(payload, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))),
            // OpenIddict 7's client secret check: PBKDF2-HMAC-SHA256, 10,000 iterations, 256-bit subkey.
            ("PBKDF2-SHA256 x 10,000 (OpenIddict client secret)", Rate(each, () => Rfc2898DeriveBytes.Pbkdf2(secret, salt, 10_000, HashAlgorithmName.SHA256, 32))),
            ("HMAC-SHA256 (a keyed hash of a high-entropy secret)", Rate(each, () => hmac.ComputeHash(secret))),
        ];
    }

    private static double Rate(TimeSpan duration, Action action)
    {
        for (var i = 0; i < 20; i++)
        {
            action();
        }

        var clock = Stopwatch.StartNew();
        var count = 0;
        while (clock.Elapsed < duration)
        {
            action();
            count++;
        }

        return count / clock.Elapsed.TotalSeconds;
    }
}
