using System.Buffers.Binary;
using System.Buffers.Text;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EIdentity.Benchmarks.Ceremonies;

/// <summary>
/// A software WebAuthn authenticator and browser in one, holding one ES256 discoverable credential:
/// it answers <c>PublicKeyCredentialCreationOptionsJSON</c> with "none" attestation and
/// <c>PublicKeyCredentialRequestOptionsJSON</c> with what <c>PublicKeyCredential.toJSON()</c> returns.
/// </summary>
/// <remarks>
/// The bench's own copy of the test suite's authenticator (tests/EIdentity.Tests/Infrastructure),
/// without the knobs for lying: the bench only makes assertions a real key would.
/// </remarks>
internal sealed class SoftwareAuthenticator(string origin) : IDisposable
{
    // WebAuthn L3 6.1 authenticator data flags: user present, user verified, attested credential data.
    private const byte FlagUserPresent = 0x01;
    private const byte FlagUserVerified = 0x04;
    private const byte FlagAttestedCredentialData = 0x40;

    // RFC 9053 2.1 / IANA COSE registry.
    private const int CoseAlgorithmEs256 = -7;

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly byte[] _credentialId = RandomNumberGenerator.GetBytes(32);
    private byte[] _userHandle = [];
    private string _rpId = "";
    private uint _signCount;

    public string Register(string creationOptionsJson)
    {
        var options = JsonNode.Parse(creationOptionsJson)!.AsObject();
        var challenge = options["challenge"]!.GetValue<string>();
        _rpId = options["rp"]?["id"]?.GetValue<string>() ?? new Uri(origin).Host;
        _userHandle = Base64Url.DecodeFromChars(options["user"]!["id"]!.GetValue<string>());

        var clientDataJson = ClientData("webauthn.create", challenge);
        var coseKey = CoseKey();
        // WebAuthn L3 6.5.1: aaguid (16, zero) || credentialIdLength (2) || credentialId || credentialPublicKey.
        var attested = new byte[16 + 2 + _credentialId.Length + coseKey.Length];
        BinaryPrimitives.WriteUInt16BigEndian(attested.AsSpan(16, 2), (ushort)_credentialId.Length);
        _credentialId.CopyTo(attested.AsSpan(18));
        coseKey.CopyTo(attested.AsSpan(18 + _credentialId.Length));
        var authenticatorData = AuthenticatorData(FlagAttestedCredentialData, 0, attested);

        // WebAuthn L3 8.7: "none" attestation, keys in CTAP2 canonical order.
        var writer = new CborWriter(CborConformanceMode.Ctap2Canonical);
        writer.WriteStartMap(3);
        writer.WriteTextString("fmt");
        writer.WriteTextString("none");
        writer.WriteTextString("attStmt");
        writer.WriteStartMap(0);
        writer.WriteEndMap();
        writer.WriteTextString("authData");
        writer.WriteByteString(authenticatorData);
        writer.WriteEndMap();

        return new JsonObject
        {
            ["id"] = Base64Url.EncodeToString(_credentialId),
            ["rawId"] = Base64Url.EncodeToString(_credentialId),
            ["type"] = "public-key",
            ["authenticatorAttachment"] = "cross-platform",
            ["clientExtensionResults"] = new JsonObject(),
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = Base64Url.EncodeToString(clientDataJson),
                ["attestationObject"] = Base64Url.EncodeToString(writer.Encode()),
                ["transports"] = new JsonArray("usb"),
                ["authenticatorData"] = Base64Url.EncodeToString(authenticatorData),
                ["publicKeyAlgorithm"] = CoseAlgorithmEs256,
                ["publicKey"] = Base64Url.EncodeToString(_key.ExportSubjectPublicKeyInfo()),
            },
        }.ToJsonString();
    }

    public string Assert(string requestOptionsJson)
    {
        using var options = JsonDocument.Parse(requestOptionsJson);
        var challenge = options.RootElement.GetProperty("challenge").GetString()!;
        _signCount++;
        var clientDataJson = ClientData("webauthn.get", challenge);
        var authenticatorData = AuthenticatorData(0, _signCount, []);

        // WebAuthn L3 6.3.3 step 11: sign authenticatorData || SHA-256(clientDataJSON).
        byte[] signed = [.. authenticatorData, .. SHA256.HashData(clientDataJson)];
        var signature = _key.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new JsonObject
        {
            ["id"] = Base64Url.EncodeToString(_credentialId),
            ["rawId"] = Base64Url.EncodeToString(_credentialId),
            ["type"] = "public-key",
            ["authenticatorAttachment"] = "cross-platform",
            ["clientExtensionResults"] = new JsonObject(),
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = Base64Url.EncodeToString(clientDataJson),
                ["authenticatorData"] = Base64Url.EncodeToString(authenticatorData),
                ["signature"] = Base64Url.EncodeToString(signature),
                ["userHandle"] = Base64Url.EncodeToString(_userHandle),
            },
        }.ToJsonString();
    }

    public void Dispose() => _key.Dispose();

    // WebAuthn L3 5.8.1: the client data JSON, in the key order browsers use.
    private byte[] ClientData(string type, string challenge) =>
        Encoding.UTF8.GetBytes($$"""{"type":"{{type}}","challenge":"{{challenge}}","origin":"{{origin}}","crossOrigin":false}""");

    // WebAuthn L3 6.1: rpIdHash (32) || flags (1) || signCount (4, big-endian) || attestedCredentialData.
    private byte[] AuthenticatorData(byte flags, uint signCount, ReadOnlySpan<byte> attested)
    {
        var data = new byte[37 + attested.Length];
        SHA256.HashData(Encoding.UTF8.GetBytes(_rpId), data.AsSpan(0, 32));
        data[32] = (byte)(flags | FlagUserPresent | FlagUserVerified);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(33, 4), signCount);
        attested.CopyTo(data.AsSpan(37));
        return data;
    }

    // RFC 9053 7.1.1 EC2 key, in CTAP2 canonical order: kty, alg, crv, x, y.
    private byte[] CoseKey()
    {
        var point = _key.ExportParameters(includePrivateParameters: false).Q;
        var writer = new CborWriter(CborConformanceMode.Ctap2Canonical);
        writer.WriteStartMap(5);
        writer.WriteInt32(1);
        writer.WriteInt32(2);
        writer.WriteInt32(3);
        writer.WriteInt32(CoseAlgorithmEs256);
        writer.WriteInt32(-1);
        writer.WriteInt32(1);
        writer.WriteInt32(-2);
        writer.WriteByteString(point.X!);
        writer.WriteInt32(-3);
        writer.WriteByteString(point.Y!);
        writer.WriteEndMap();
        return writer.Encode();
    }
}
