using System.Buffers.Text;

namespace EIdentity.Server.Credentials.Passkeys;

/// <summary>
/// Credential ids as we store and compare them: unpadded base64url of at most 1023 bytes
/// (WebAuthn L3 "credential id"). Every id that arrives from outside goes through here, so that
/// "AAAA", "AAAA==" and " AAAA" can never name three different records of one key.
/// </summary>
internal static class CredentialIds
{
    public const int MaxLength = 1364;

    public static bool TryCanonical(string? value, out string canonical, out byte[] raw)
    {
        canonical = "";
        raw = [];
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength || !Base64Url.IsValid(value))
        {
            return false;
        }

        raw = Base64Url.DecodeFromChars(value);
        canonical = Base64Url.EncodeToString(raw);
        return raw.Length is > 0 and <= 1023 && string.Equals(canonical, value, StringComparison.Ordinal);
    }
}
