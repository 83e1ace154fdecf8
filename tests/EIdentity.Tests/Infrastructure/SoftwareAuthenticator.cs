using System.Buffers.Binary;
using System.Buffers.Text;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EIdentity.Tests.Infrastructure;

/// <summary>
/// A software WebAuthn authenticator and client in one: it consumes the
/// <c>PublicKeyCredentialCreationOptionsJSON</c> / <c>PublicKeyCredentialRequestOptionsJSON</c> a relying
/// party emits and returns what <c>PublicKeyCredential.toJSON()</c> would, with real ES256 keys,
/// "none" attestation and discoverable credentials.
/// </summary>
/// <remarks>
/// It plays the browser's part too (client data, origin), so tests can lie about the origin, the
/// challenge, user verification or the signature and check that the server notices.
/// </remarks>
public sealed class SoftwareAuthenticator : IDisposable
{
    // WebAuthn L3 6.1 authenticator data flags.
    private const byte FlagUserPresent = 0x01;
    private const byte FlagUserVerified = 0x04;
    private const byte FlagAttestedCredentialData = 0x40;

    // RFC 9053 2.1 / IANA COSE registry.
    private const int CoseAlgorithmEs256 = -7;
    private const int CoseKeyTypeEc2 = 2;
    private const int CoseCurveP256 = 1;

    private const int CredentialIdLength = 32;

    private readonly List<StoredCredential> _credentials = [];
    private readonly string? _rpIdOverride;
    private bool _disposed;

    /// <param name="origin">The origin the simulated browser reports in client data, e.g. <c>https://localhost</c>.</param>
    /// <param name="rpId">
    /// When set, the RP ID this authenticator uses whatever the options say (to test a wrong RP ID hash).
    /// When null, the options' RP ID is used, falling back to the origin's host as a browser does.
    /// </param>
    public SoftwareAuthenticator(string origin, string? rpId = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(origin);
        Origin = origin;
        _rpIdOverride = rpId;
    }

    /// <summary>The origin written into client data; change it to simulate a phishing site.</summary>
    public string Origin { get; set; }

    /// <summary>Whether the UV flag is set; clear it to simulate an authenticator that only tested presence.</summary>
    public bool UserVerified { get; set; } = true;

    /// <summary>When set, the next assertion's signature has one bit flipped; the flag then clears itself.</summary>
    public bool TamperNextSignature { get; set; }

    /// <summary>When not null, this base64url challenge is written into client data instead of the server's.</summary>
    public string? OverrideChallenge { get; set; }

    public int CredentialCount => _credentials.Count;

    /// <summary>The AAGUID written into attested credential data (all zeros unless a model is simulated).</summary>
    public Guid Aaguid { get; set; } = Guid.Empty;

    /// <summary>
    /// How registrations are attested; null means the "none" format. Set it to a <see cref="TestAttestation"/>
    /// to produce packed, fido-u2f, tpm, android-key or apple statements from test certificate authorities.
    /// </summary>
    public TestAttestation? Attestation { get; set; }

    /// <summary>When not null, the COSE algorithm written into new credential public keys instead of ES256 (to test refusals).</summary>
    public int? CoseAlgorithmOverride { get; set; }

    /// <summary>When not null, the next assertion reports this signature counter (then clears itself).</summary>
    public uint? NextSignCount { get; set; }

    /// <summary>
    /// When not null, the next registration uses this credential id (base64url) instead of a fresh one,
    /// then clears itself: a key re-registering an id the relying party already knows (a replay or a clone).
    /// </summary>
    public string? NextCredentialId { get; set; }

    /// <summary>Credential IDs in base64url, oldest first.</summary>
    public IReadOnlyList<string> CredentialIds => [.. _credentials.Select(c => Base64Url.EncodeToString(c.Id))];

    /// <summary>
    /// Runs <c>navigator.credentials.create()</c> against the given creation options and returns the
    /// registration response JSON.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The options exclude a credential this authenticator holds, or do not accept ES256.
    /// </exception>
    public string Register(string creationOptionsJson)
    {
        ArgumentException.ThrowIfNullOrEmpty(creationOptionsJson);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var options = ParseObject(creationOptionsJson);
        var challenge = RequiredString(options, "challenge");
        var rpId = _rpIdOverride ?? OptionalString(options["rp"], "id") ?? new Uri(Origin).Host;
        var userHandle = Base64Url.DecodeFromChars(RequiredString(RequiredObject(options, "user"), "id"));

        // WebAuthn L3 5.1.3 step 10: an empty pubKeyCredParams means ES256 and RS256 are acceptable.
        if (options["pubKeyCredParams"] is JsonArray { Count: > 0 } parameters
            && !parameters.Any(p => OptionalString(p, "type") == "public-key" && p?["alg"]?.GetValue<int>() == CoseAlgorithmEs256))
        {
            throw new InvalidOperationException("The creation options do not accept ES256 (COSE alg -7).");
        }

        // WebAuthn L3 6.3.2 step 3: refuse to create a second credential for an excluded one.
        var excluded = ReadCredentialIds(options["excludeCredentials"]);
        if (_credentials.Any(c => c.RpId == rpId && excluded.Any(id => id.AsSpan().SequenceEqual(c.Id))))
        {
            throw new InvalidOperationException("This authenticator already holds a credential in excludeCredentials.");
        }

        var credentialId = NextCredentialId is { } reused ? Base64Url.DecodeFromChars(reused) : RandomNumberGenerator.GetBytes(CredentialIdLength);
        NextCredentialId = null;
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var credential = new StoredCredential(credentialId, rpId, userHandle, key);
        try
        {
            var clientDataJson = BuildClientDataJson("webauthn.create", challenge);
            var coseKey = EncodeCoseKey(key, CoseAlgorithmOverride ?? CoseAlgorithmEs256);
            var authenticatorData = BuildAuthenticatorData(rpId, FlagAttestedCredentialData, signCount: 0, BuildAttestedCredentialData(Aaguid, credentialId, coseKey));
            var attestationObject = Attestation is null
                ? BuildNoneAttestationObject(authenticatorData)
                : Attestation.BuildAttestationObject(new AttestationInput(authenticatorData, SHA256.HashData(clientDataJson), key, coseKey, credentialId, Aaguid));

            var response = new JsonObject
            {
                ["id"] = Base64Url.EncodeToString(credentialId),
                ["rawId"] = Base64Url.EncodeToString(credentialId),
                ["type"] = "public-key",
                ["authenticatorAttachment"] = "cross-platform",
                ["clientExtensionResults"] = new JsonObject(),
                ["response"] = new JsonObject
                {
                    ["clientDataJSON"] = Base64Url.EncodeToString(clientDataJson),
                    ["attestationObject"] = Base64Url.EncodeToString(attestationObject),
                    ["transports"] = new JsonArray("usb"),
                    ["authenticatorData"] = Base64Url.EncodeToString(authenticatorData),
                    ["publicKeyAlgorithm"] = CoseAlgorithmEs256,
                    ["publicKey"] = Base64Url.EncodeToString(key.ExportSubjectPublicKeyInfo()),
                },
            };

            _credentials.Add(credential);
            return response.ToJsonString();
        }
        catch
        {
            credential.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs <c>navigator.credentials.get()</c> against the given request options with the most recently
    /// registered matching credential and returns the authentication response JSON.
    /// </summary>
    /// <exception cref="InvalidOperationException">No credential matches the RP ID and allowCredentials.</exception>
    public string Assert(string requestOptionsJson)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestOptionsJson);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var options = ParseObject(requestOptionsJson);
        var challenge = RequiredString(options, "challenge");
        var rpId = _rpIdOverride ?? OptionalString(options, "rpId") ?? new Uri(Origin).Host;

        // WebAuthn L3 6.3.3 step 6: an empty allowCredentials means any discoverable credential for the RP.
        var allowed = ReadCredentialIds(options["allowCredentials"]);
        var credential = _credentials.LastOrDefault(c =>
            c.RpId == rpId && (allowed.Count == 0 || allowed.Any(id => id.AsSpan().SequenceEqual(c.Id))))
            ?? throw new InvalidOperationException($"No credential for RP ID '{rpId}' matches the request options.");

        credential.SignCount = NextSignCount ?? credential.SignCount + 1;
        NextSignCount = null;

        var clientDataJson = BuildClientDataJson("webauthn.get", challenge);
        var authenticatorData = BuildAuthenticatorData(rpId, flags: 0, credential.SignCount, attestedCredentialData: []);

        // WebAuthn L3 6.3.3 step 11: sign authenticatorData || SHA-256(clientDataJSON).
        byte[] signedData = [.. authenticatorData, .. SHA256.HashData(clientDataJson)];
        var signature = credential.Key.SignData(signedData, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        if (TamperNextSignature)
        {
            // The last byte belongs to s, so the DER stays well formed and only the math fails.
            signature[^1] ^= 0x01;
            TamperNextSignature = false;
        }

        var response = new JsonObject
        {
            ["id"] = Base64Url.EncodeToString(credential.Id),
            ["rawId"] = Base64Url.EncodeToString(credential.Id),
            ["type"] = "public-key",
            ["authenticatorAttachment"] = "cross-platform",
            ["clientExtensionResults"] = new JsonObject(),
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = Base64Url.EncodeToString(clientDataJson),
                ["authenticatorData"] = Base64Url.EncodeToString(authenticatorData),
                ["signature"] = Base64Url.EncodeToString(signature),
                ["userHandle"] = Base64Url.EncodeToString(credential.UserHandle),
            },
        };
        return response.ToJsonString();
    }

    /// <summary>
    /// A second authenticator holding copies of this one's credentials and counters, as an attacker
    /// who extracted the keys would have. Using both makes the counters go backwards for one of them.
    /// </summary>
    public SoftwareAuthenticator Clone()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var clone = new SoftwareAuthenticator(Origin, _rpIdOverride) { UserVerified = UserVerified, Aaguid = Aaguid };
        foreach (var credential in _credentials)
        {
            var key = ECDsa.Create(credential.Key.ExportParameters(includePrivateParameters: true));
            clone._credentials.Add(new StoredCredential(credential.Id, credential.RpId, credential.UserHandle, key) { SignCount = credential.SignCount });
        }

        return clone;
    }

    /// <summary>Deletes every credential, as if the user reset the security key.</summary>
    public void ForgetCredentials()
    {
        foreach (var credential in _credentials)
        {
            credential.Dispose();
        }

        _credentials.Clear();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        ForgetCredentials();
        _disposed = true;
    }

    // WebAuthn L3 5.8.1: the client data JSON, in the key order browsers use.
    private byte[] BuildClientDataJson(string type, string challenge)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WriteString("challenge", OverrideChallenge ?? challenge);
            writer.WriteString("origin", Origin);
            writer.WriteBoolean("crossOrigin", false);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    // WebAuthn L3 6.1: rpIdHash (32) || flags (1) || signCount (4, big-endian) || attestedCredentialData.
    private byte[] BuildAuthenticatorData(string rpId, byte flags, uint signCount, ReadOnlySpan<byte> attestedCredentialData)
    {
        flags |= FlagUserPresent;
        if (UserVerified)
        {
            flags |= FlagUserVerified;
        }

        var data = new byte[32 + 1 + 4 + attestedCredentialData.Length];
        SHA256.HashData(Encoding.UTF8.GetBytes(rpId), data.AsSpan(0, 32));
        data[32] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(33, 4), signCount);
        attestedCredentialData.CopyTo(data.AsSpan(37));
        return data;
    }

    // WebAuthn L3 6.5.1: aaguid (16) || credentialIdLength (2, big-endian) || credentialId || credentialPublicKey.
    private static byte[] BuildAttestedCredentialData(Guid aaguid, byte[] credentialId, byte[] coseKey)
    {
        var data = new byte[16 + 2 + credentialId.Length + coseKey.Length];
        aaguid.TryWriteBytes(data.AsSpan(0, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(16, 2), (ushort)credentialId.Length);
        credentialId.CopyTo(data.AsSpan(18));
        coseKey.CopyTo(data.AsSpan(18 + credentialId.Length));
        return data;
    }

    // RFC 9053 7.1.1 EC2 key, in CTAP2 canonical order: kty, alg, crv, x, y.
    private static byte[] EncodeCoseKey(ECDsa key, int algorithm)
    {
        var point = key.ExportParameters(includePrivateParameters: false).Q;
        if (point.X is not { Length: 32 } x || point.Y is not { Length: 32 } y)
        {
            throw new CryptographicException("A P-256 public key must have 32-byte coordinates.");
        }

        var writer = new CborWriter(CborConformanceMode.Ctap2Canonical);
        writer.WriteStartMap(5);
        writer.WriteInt32(1);
        writer.WriteInt32(CoseKeyTypeEc2);
        writer.WriteInt32(3);
        writer.WriteInt32(algorithm);
        writer.WriteInt32(-1);
        writer.WriteInt32(CoseCurveP256);
        writer.WriteInt32(-2);
        writer.WriteByteString(x);
        writer.WriteInt32(-3);
        writer.WriteByteString(y);
        writer.WriteEndMap();
        return writer.Encode();
    }

    // WebAuthn L3 6.5.4 and 8.7 ("none" attestation), keys in CTAP2 canonical order.
    private static byte[] BuildNoneAttestationObject(byte[] authenticatorData)
    {
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
        return writer.Encode();
    }

    private static JsonObject ParseObject(string json)
        => JsonNode.Parse(json) as JsonObject
            ?? throw new ArgumentException("The options are not a JSON object.", nameof(json));

    private static JsonObject RequiredObject(JsonObject parent, string name)
        => parent[name] as JsonObject
            ?? throw new ArgumentException($"The options have no '{name}' object.", nameof(parent));

    private static string RequiredString(JsonObject parent, string name)
        => OptionalString(parent, name)
            ?? throw new ArgumentException($"The options have no '{name}' string.", nameof(parent));

    private static string? OptionalString(JsonNode? parent, string name)
        => parent is JsonObject obj && obj[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static List<byte[]> ReadCredentialIds(JsonNode? descriptors)
        => descriptors is JsonArray array
            ? [.. array.Select(d => OptionalString(d, "id")).OfType<string>().Select(id => Base64Url.DecodeFromChars(id))]
            : [];

    private sealed class StoredCredential(byte[] id, string rpId, byte[] userHandle, ECDsa key) : IDisposable
    {
        public byte[] Id { get; } = id;

        public string RpId { get; } = rpId;

        public byte[] UserHandle { get; } = userHandle;

        public ECDsa Key { get; } = key;

        public uint SignCount { get; set; }

        public void Dispose() => Key.Dispose();
    }
}
