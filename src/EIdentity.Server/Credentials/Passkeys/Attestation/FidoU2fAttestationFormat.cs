using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Server.Credentials.Passkeys.Attestation;

/// <summary>
/// The "fido-u2f" attestation statement format (WebAuthn L3 8.6): a FIDO U2F registration
/// signature by a single P-256 attestation certificate.
/// </summary>
internal sealed class FidoU2fAttestationFormat : IAttestationStatementFormat
{
    private const int CoordinateLength = 32;

    public string Identifier => "fido-u2f";

    public AttestationStatementResult Verify(AttestationObject attestation, CoseKey credentialKey, ReadOnlySpan<byte> clientDataHash)
    {
        ArgumentNullException.ThrowIfNull(attestation);
        ArgumentNullException.ThrowIfNull(credentialKey);

        // WebAuthn L3 8.6 step 1
        var statement = attestation.Statement;
        if (statement.Signature is not { } signature)
        {
            return AttestationStatementResult.Invalid("The fido-u2f attestation statement has no signature (sig is missing).");
        }

        // WebAuthn L3 8.6 step 2
        if (statement.Certificates.Count != 1)
        {
            return AttestationStatementResult.Invalid(
                $"The fido-u2f attestation must carry exactly one attestation certificate, but it carries {statement.Certificates.Count}.");
        }

        // WebAuthn L3 8.6 step 4: the credential key as raw X9.62 coordinates, 32 bytes each.
        if (credentialKey is not { Algorithm: CoseAlgorithms.Es256, Ec: { } ec }
            || ec.Curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value
            || ec.Q.X is not { Length: CoordinateLength } x
            || ec.Q.Y is not { Length: CoordinateLength } y)
        {
            return AttestationStatementResult.Invalid("A fido-u2f credential key must be an ES256 key on the P-256 curve, but this one is not.");
        }

        var certificates = AttestationCertificates.TryLoad(statement.Certificates, "fido-u2f", out var error);
        if (certificates is null)
        {
            return AttestationStatementResult.Invalid(error!);
        }

        // WebAuthn L3 8.6 steps 3 and 5: 0x00 || rpIdHash || clientDataHash || credentialId || publicKeyU2F.
        var authenticatorData = attestation.AuthenticatorData;
        byte[] verificationData = [0x00, .. authenticatorData.RpIdHash, .. clientDataHash, .. authenticatorData.CredentialId, 0x04, .. x, .. y];

        string? reason;
        try
        {
            reason = CheckCertificateAndSignature(certificates[0], verificationData, signature);
        }
        catch (CryptographicException)
        {
            reason = "The fido-u2f attestation certificate could not be read, so its signature cannot be checked.";
        }

        if (reason is not null)
        {
            AttestationCertificates.Release(certificates);
            return AttestationStatementResult.Invalid(reason);
        }

        // WebAuthn L3 8.6: U2F authenticators write an all-zero AAGUID; the format does not use it, so a
        // non-zero one is not refused here (the model is found by the certificate's key identifier).
        // WebAuthn L3 8.6 step 8: Basic or AttCA; without metadata the two cannot be told apart.
        return AttestationStatementResult.Valid(AttestationType.Basic, certificates);
    }

    private static string? CheckCertificateAndSignature(X509Certificate2 certificate, byte[] verificationData, byte[] signature)
    {
        // WebAuthn L3 8.6 step 2
        if (!AttestationCertificates.HasP256Key(certificate))
        {
            return "The fido-u2f attestation certificate's public key is not an EC key on the P-256 curve.";
        }

        // WebAuthn L3 8.6 step 6
        return CoseAlgorithms.VerifyWithCertificate(CoseAlgorithms.Es256, certificate, verificationData, signature)
            ? null
            : "The fido-u2f attestation signature does not verify with the attestation certificate.";
    }
}
