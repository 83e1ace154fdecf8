using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Server.Credentials.Passkeys.Attestation;

/// <summary>
/// The "apple" attestation statement format (WebAuthn L3 8.8, Apple Anonymous Attestation): a
/// per-credential certificate that binds the credential key to a nonce over the registration.
/// </summary>
internal sealed class AppleAttestationFormat : IAttestationStatementFormat
{
    private const string NonceExtensionOid = "1.2.840.113635.100.8.2";

    public string Identifier => "apple";

    public AttestationStatementResult Verify(AttestationObject attestation, CoseKey credentialKey, ReadOnlySpan<byte> clientDataHash)
    {
        ArgumentNullException.ThrowIfNull(attestation);
        ArgumentNullException.ThrowIfNull(credentialKey);

        // WebAuthn L3 8.8 step 1
        if (!attestation.Statement.HasCertificates)
        {
            return AttestationStatementResult.Invalid("The apple attestation statement has no certificate chain (x5c is missing).");
        }

        var certificates = AttestationCertificates.TryLoad(attestation.Statement.Certificates, "apple", out var error);
        if (certificates is null)
        {
            return AttestationStatementResult.Invalid(error!);
        }

        // WebAuthn L3 8.8 steps 2 and 3
        byte[] nonceToHash = [.. attestation.AuthenticatorData.Raw, .. clientDataHash];
        var nonce = SHA256.HashData(nonceToHash);

        string? reason;
        try
        {
            reason = CheckCredentialCertificate(certificates[0], nonce, credentialKey);
        }
        catch (CryptographicException)
        {
            reason = "The apple credential certificate could not be read, so the attestation cannot be checked.";
        }

        if (reason is not null)
        {
            AttestationCertificates.Release(certificates);
            return AttestationStatementResult.Invalid(reason);
        }

        // WebAuthn L3 8.8 step 6
        return AttestationStatementResult.Valid(AttestationType.AnonymizationCa, certificates);
    }

    private static string? CheckCredentialCertificate(X509Certificate2 credentialCertificate, byte[] nonce, CoseKey credentialKey)
    {
        // WebAuthn L3 8.8 step 4
        if (credentialCertificate.Extensions[NonceExtensionOid] is not { } extension)
        {
            return "The apple credential certificate has no nonce extension (1.2.840.113635.100.8.2).";
        }

        if (ReadNonce(extension.RawData) is not { } certifiedNonce)
        {
            return "The nonce extension of the apple credential certificate is not the expected DER structure.";
        }

        if (!CryptographicOperations.FixedTimeEquals(certifiedNonce, nonce))
        {
            return "The nonce in the apple credential certificate does not match this registration's authenticator data and client data.";
        }

        // WebAuthn L3 8.8 step 5
        return credentialKey.IsKeyOf(credentialCertificate)
            ? null
            : "The apple credential certificate is for a different public key than the new credential.";
    }

    // WebAuthn L3 8.8: SEQUENCE { nonce [1] EXPLICIT OCTET STRING }.
    private static byte[]? ReadNonce(byte[] extensionValue)
    {
        try
        {
            var reader = new AsnReader(extensionValue, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var tagged = sequence.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1, isConstructed: true));
            sequence.ThrowIfNotEmpty();
            var nonce = tagged.ReadOctetString();
            tagged.ThrowIfNotEmpty();
            return nonce;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }
}
