using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace EIdentity.Server.Oidc;

/// <summary>A portal's registered public keys for <c>private_key_jwt</c> client authentication (RFC 7523 2.2).</summary>
internal static class PortalKeySet
{
    private const int MaximumKeys = 10;
    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
    private static readonly string[] Curves = [JsonWebKeyECTypes.P256, JsonWebKeyECTypes.P384, JsonWebKeyECTypes.P521];

    public static JsonWebKeySet Parse(string json) => new(json);

    /// <summary>What is wrong with a key set a portal gave, or null when it can be registered.</summary>
    public static string? Check(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return "not valid JSON";
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
            {
                return "a JSON Web Key Set is an object with a \"keys\" array (RFC 7517 5)";
            }

            if (keys.GetArrayLength() is 0 or > MaximumKeys)
            {
                return $"give 1 to {MaximumKeys} keys";
            }

            foreach (var key in keys.EnumerateArray())
            {
                if (key.ValueKind != JsonValueKind.Object)
                {
                    return "every key is a JSON object";
                }

                // A portal's private key never leaves the portal: a set holding one is refused, not trimmed.
                if (PrivateMembers.FirstOrDefault(m => key.TryGetProperty(m, out _)) is { } member)
                {
                    return $"a key holds private member \"{member}\": register the public keys only";
                }

                var type = key.TryGetProperty("kty", out var kty) ? kty.GetString() : null;
                if (type == JsonWebAlgorithmsKeyTypes.EllipticCurve)
                {
                    var curve = key.TryGetProperty("crv", out var crv) ? crv.GetString() : null;
                    if (!Curves.Contains(curve) || !key.TryGetProperty("x", out _) || !key.TryGetProperty("y", out _))
                    {
                        return "an EC key needs crv P-256, P-384 or P-521 and its x and y";
                    }
                }
                else if (type == JsonWebAlgorithmsKeyTypes.RSA)
                {
                    if (!key.TryGetProperty("n", out var n) || !key.TryGetProperty("e", out _)
                        || ModulusBits(n.GetString()) < 2048)
                    {
                        return "an RSA key needs n (2048 bits or more) and e";
                    }
                }
                else
                {
                    return "keys are EC or RSA signing keys";
                }

                if (key.TryGetProperty("use", out var use) && use.GetString() != JsonWebKeyUseNames.Sig)
                {
                    return "a key's \"use\", when given, is \"sig\"";
                }
            }
        }

        return null;
    }

    private static int ModulusBits(string? modulus)
    {
        try
        {
            return modulus is null ? 0 : Base64UrlEncoder.DecodeBytes(modulus).Length * 8;
        }
        catch (FormatException)
        {
            return 0;
        }
    }
}
