using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EIdentity.Benchmarks;

/// <summary>
/// Just enough of a WebAuthn authenticator and browser to activate the bench citizen's identity:
/// one ES256 key, "none" attestation, user verified (a trimmed copy of the tests' SoftwareAuthenticator).
/// </summary>
internal static class SoftwareKey
{
    // WebAuthn L3 6.1 flags: user present, user verified, attested credential data.
    private const byte Flags = 0x01 | 0x04 | 0x40;

    /// <summary>Runs <c>navigator.credentials.create()</c> against the creation options; returns <c>toJSON()</c> of the result.</summary>
    public static string Register(string creationOptionsJson, string origin)
    {
        var options = JsonNode.Parse(creationOptionsJson)!.AsObject();
        var challenge = options["challenge"]!.GetValue<string>();
        var rpId = options["rp"]?["id"]?.GetValue<string>() ?? new Uri(origin).Host;

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var credentialId = RandomNumberGenerator.GetBytes(32);
        var point = key.ExportParameters(includePrivateParameters: false).Q;

        // RFC 9053 7.1.1 EC2 key in CTAP2 canonical CBOR: {1: 2, 3: -7, -1: 1, -2: x, -3: y}.
        byte[] coseKey = [0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20, .. point.X!, 0x22, 0x58, 0x20, .. point.Y!];

        // WebAuthn L3 6.1 and 6.5.1: rpIdHash, flags, signCount, AAGUID (zero), id length, id, key.
        var counterAndLength = new byte[4 + 16 + 2];
        BinaryPrimitives.WriteUInt16BigEndian(counterAndLength.AsSpan(20), (ushort)credentialId.Length);
        byte[] authenticatorData = [.. SHA256.HashData(Encoding.UTF8.GetBytes(rpId)), Flags, .. counterAndLength, .. credentialId, .. coseKey];

        // WebAuthn L3 8.7 "none" attestation: {"fmt": "none", "attStmt": {}, "authData": bytes}.
        byte[] lengthPrefix = authenticatorData.Length < 256
            ? [0x58, (byte)authenticatorData.Length]
            : [0x59, (byte)(authenticatorData.Length >> 8), (byte)authenticatorData.Length];
        byte[] attestationObject = [0xA3, 0x63, .. "fmt"u8, 0x64, .. "none"u8, 0x67, .. "attStmt"u8, 0xA0, 0x68, .. "authData"u8, .. lengthPrefix, .. authenticatorData];

        var clientData = JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["type"] = "webauthn.create",
            ["challenge"] = challenge,
            ["origin"] = origin,
            ["crossOrigin"] = false,
        });
        var id = Base64Url.EncodeToString(credentialId);
        return new JsonObject
        {
            ["id"] = id,
            ["rawId"] = id,
            ["type"] = "public-key",
            ["authenticatorAttachment"] = "cross-platform",
            ["clientExtensionResults"] = new JsonObject(),
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
                ["attestationObject"] = Base64Url.EncodeToString(attestationObject),
                ["transports"] = new JsonArray("usb"),
                ["authenticatorData"] = Base64Url.EncodeToString(authenticatorData),
                ["publicKeyAlgorithm"] = -7,
                ["publicKey"] = Base64Url.EncodeToString(key.ExportSubjectPublicKeyInfo()),
            },
        }.ToJsonString();
    }
}
