using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using EIdentity.Server.Credentials.Passkeys.Attestation;
using Microsoft.AspNetCore.Identity;

namespace EIdentity.Server.Credentials.Passkeys;

/// <summary>
/// Decides whether a refused assertion proves a cloned key: only a response signed by the stored
/// credential key whose counter did not move forward (WebAuthn L3 7.2 steps 21-22). Anything an
/// attacker without the private key can send must never suspend someone's key.
/// </summary>
internal static class CounterRegression
{
    // PasskeyException.SignCountLessThanOrEqualToStoredSignCount() in ASP.NET Core Identity 10; a
    // constant text with no request data in it, reached only after the signature verified.
    private const string HandlerMessage = "The authenticator's signature counter is unexpectedly less than or equal to the stored signature counter.";

    public static bool IsProvenBy(string handlerFailure, string credentialJson, UserPasskeyInfo stored)
    {
        if (!string.Equals(handlerFailure, HandlerMessage, StringComparison.Ordinal))
        {
            return false;
        }

        // Defence in depth: check the signature and the counter ourselves.
        try
        {
            using var document = JsonDocument.Parse(credentialJson);
            var response = document.RootElement.GetProperty("response");
            var authenticatorData = Decode(response, "authenticatorData");
            var clientData = Decode(response, "clientDataJSON");
            var signature = Decode(response, "signature");
            if (authenticatorData is not { Length: >= 37 } || clientData is null || signature is null
                || CoseKey.TryDecode(stored.PublicKey, out _) is not { } key)
            {
                return false;
            }

            var signCount = BinaryPrimitives.ReadUInt32BigEndian(authenticatorData.AsSpan(33, 4));
            byte[] signed = [.. authenticatorData, .. SHA256.HashData(clientData)];
            return signCount <= stored.SignCount && key.Verify(signed, signature);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or CryptographicException)
        {
            return false;
        }
    }

    private static byte[]? Decode(JsonElement response, string name)
        => response.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && Base64Url.IsValid(value.GetString())
            ? Base64Url.DecodeFromChars(value.GetString())
            : null;
}
