using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using EIdentity.Server.Credentials.Passkeys.Attestation;
using EIdentity.Tests.Infrastructure;

namespace EIdentity.Tests.Credentials.Passkeys.Attestation;

/// <summary>
/// One registration by a <see cref="SoftwareAuthenticator"/>, read back as the server reads it: the
/// parsed attestation object, the decoded credential key and the client data hash.
/// </summary>
internal sealed record AttestationCeremony(AttestationObject Attestation, CoseKey CredentialKey, byte[] ClientDataHash)
{
    /// <summary>The AAGUID the simulated authenticator model reports unless a test says otherwise.</summary>
    public static readonly Guid ModelAaguid = new("6a1f3c2e-8b4d-4e5f-9a0b-1c2d3e4f5a6b");

    private const string CreationOptions = """
        {
          "challenge": "dGhlLWNoYWxsZW5nZS1mb3ItYXR0ZXN0YXRpb24tdGVzdHM",
          "rp": { "id": "localhost", "name": "EIdentity" },
          "user": { "id": "dXNlci0x", "name": "079203001234", "displayName": "Nguyễn Văn An" },
          "pubKeyCredParams": [ { "type": "public-key", "alg": -7 } ]
        }
        """;

    /// <summary>Registers with the given attestation (null: "none") and reads the response back.</summary>
    public static AttestationCeremony Register(TestAttestation? attestation, Guid? aaguid = null)
    {
        using var authenticator = new SoftwareAuthenticator("https://localhost")
        {
            Attestation = attestation,
            Aaguid = aaguid ?? ModelAaguid,
        };
        var response = JsonNode.Parse(authenticator.Register(CreationOptions))!["response"]!;
        var attestationObject = Base64Url.DecodeFromChars(response["attestationObject"]!.GetValue<string>());
        var clientDataJson = Base64Url.DecodeFromChars(response["clientDataJSON"]!.GetValue<string>());

        var parsed = AttestationObject.TryParse(attestationObject, out var parseError);
        Assert.True(parsed is not null, parseError);
        var key = CoseKey.TryDecode(parsed.AuthenticatorData.CredentialPublicKey, out var keyError);
        Assert.True(key is not null, keyError);
        return new AttestationCeremony(parsed, key, SHA256.HashData(clientDataJson));
    }

    public AttestationStatementResult VerifyWith(IAttestationStatementFormat format) => format.Verify(Attestation, CredentialKey, ClientDataHash);

    /// <summary>Verifies against client data other than what the authenticator saw (a replayed statement).</summary>
    public AttestationStatementResult VerifyWithOtherClientData(IAttestationStatementFormat format)
        => format.Verify(Attestation, CredentialKey, SHA256.HashData("{\"type\":\"webauthn.create\"}"u8));
}

internal static class AttestationAssert
{
    public static void Refused(AttestationStatementResult result, string expectedWord)
    {
        Assert.False(result.IsValid, "The statement was accepted.");
        Assert.Empty(result.TrustPath);
        Assert.NotNull(result.Reason);
        Assert.Contains(expectedWord, result.Reason, StringComparison.OrdinalIgnoreCase);
    }
}
