using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace EIdentity.Server.Oidc;

/// <summary>
/// Client secrets EIdentity generates for portals, and how every client secret is stored.
/// </summary>
/// <remarks>
/// PBKDF2 (OpenIddict's default) exists to slow down guessing of secrets people chose; it costs
/// milliseconds of CPU on every token and introspection request. A secret EIdentity generated
/// carries 256 random bits: no one can guess it offline however fast the hash, so it is stored as
/// HMAC-SHA-256 keyed with a per-secret random salt (microseconds). Every other secret keeps
/// PBKDF2. See docs/adr/0010-cost-of-a-token-request.md.
/// </remarks>
internal static class ClientSecrets
{
    /// <summary>Every generated secret starts with this, so it is recognizable (and scannable in leaked code).</summary>
    public const string GeneratedPrefix = "eidcs_";

    /// <summary>How a fast-hashed secret is stored: <c>hmac-sha256$&lt;salt&gt;$&lt;mac&gt;</c>, both base64url.</summary>
    public const string StoredPrefix = "hmac-sha256$";

    private const int RandomBytes = 32;
    private const int SaltBytes = 16;
    private static readonly int RandomChars = Base64Url.GetEncodedLength(RandomBytes);

    /// <summary>A new secret: the prefix and 256 random bits, base64url (49 characters).</summary>
    public static string Generate() => GeneratedPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(RandomBytes));

    /// <summary>
    /// A secret in the shape <see cref="Generate"/> gives: prefix, 43 base64url characters, and
    /// not visibly hand-made (43 random characters almost surely hold more than 20 distinct ones).
    /// </summary>
    public static bool IsGenerated(string secret)
    {
        if (!secret.StartsWith(GeneratedPrefix, StringComparison.Ordinal) || secret.Length != GeneratedPrefix.Length + RandomChars)
        {
            return false;
        }

        var random = secret.AsSpan(GeneratedPrefix.Length);
        return Base64Url.IsValid(random) && random.ToArray().Distinct().Count() > 20;
    }

    /// <summary>The stored form of a generated secret.</summary>
    public static string Hash(string secret)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return StoredPrefix + Base64Url.EncodeToString(salt) + "$" + Base64Url.EncodeToString(Mac(salt, secret));
    }

    public static bool IsFastHash(string stored) => stored.StartsWith(StoredPrefix, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="secret"/> is the one <paramref name="stored"/> was made from; constant time.</summary>
    public static bool Verify(string secret, string stored)
    {
        var parts = stored[StoredPrefix.Length..].Split('$');
        if (parts.Length != 2)
        {
            return false;
        }

        try
        {
            var salt = Base64Url.DecodeFromChars(parts[0]);
            var expected = Base64Url.DecodeFromChars(parts[1]);
            return CryptographicOperations.FixedTimeEquals(Mac(salt, secret), expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static byte[] Mac(byte[] salt, string secret) => HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes(secret));
}
