using System.Formats.Cbor;
using System.Security.Cryptography;

namespace EIdentity.Tests.Infrastructure;

/// <summary>What an attestation statement is made over, as the software authenticator hands it to a format.</summary>
/// <param name="AuthenticatorData">The complete authenticator data (with attested credential data).</param>
/// <param name="ClientDataHash">SHA-256 of the client data JSON.</param>
/// <param name="CredentialKey">The new credential's key pair (ES256).</param>
/// <param name="CredentialPublicKeyCose">The credential public key as written in the authenticator data.</param>
/// <param name="CredentialId">The new credential's id.</param>
/// <param name="Aaguid">The AAGUID written into the authenticator data.</param>
public sealed record AttestationInput(
    byte[] AuthenticatorData,
    byte[] ClientDataHash,
    ECDsa CredentialKey,
    byte[] CredentialPublicKeyCose,
    byte[] CredentialId,
    Guid Aaguid);

/// <summary>
/// An attestation statement format the <see cref="SoftwareAuthenticator"/> can produce. Subclasses
/// build <c>attStmt</c> as a real authenticator of that kind would, signed by test certificate authorities.
/// </summary>
public abstract class TestAttestation
{
    /// <summary>The format identifier written as <c>fmt</c>.</summary>
    public abstract string Format { get; }

    /// <summary>Writes the <c>attStmt</c> map.</summary>
    protected abstract void WriteStatement(CborWriter writer, AttestationInput input);

    /// <summary>The attestation object (WebAuthn L3 6.5.4), keys in CTAP2 canonical order.</summary>
    public byte[] BuildAttestationObject(AttestationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(3);
        writer.WriteTextString("fmt");
        writer.WriteTextString(Format);
        writer.WriteTextString("attStmt");
        WriteStatement(writer, input);
        writer.WriteTextString("authData");
        writer.WriteByteString(input.AuthenticatorData);
        writer.WriteEndMap();
        return writer.Encode();
    }
}
