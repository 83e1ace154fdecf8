using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Server.Credentials.Passkeys.Attestation;

/// <summary>
/// The "android-key" attestation statement format (WebAuthn L3 8.4): Android Keystore signs with the
/// credential key itself and certifies that key, with its authorizations, in <c>x5c</c>.
/// </summary>
internal sealed class AndroidKeyAttestationFormat : IAttestationStatementFormat
{
    public string Identifier => "android-key";

    /// <summary>
    /// Whether origin and purpose may come from the software-enforced authorization list too
    /// (WebAuthn L3 8.4 step 5 lets the relying party choose). False by default: an eID provider
    /// accepts only keys whose origin and purpose a trusted execution environment enforces.
    /// </summary>
    public bool AcceptSoftwareEnforcedAuthorizations { get; init; }

    public AttestationStatementResult Verify(AttestationObject attestation, CoseKey credentialKey, ReadOnlySpan<byte> clientDataHash)
    {
        ArgumentNullException.ThrowIfNull(attestation);
        ArgumentNullException.ThrowIfNull(credentialKey);
        var statement = attestation.Statement;

        // WebAuthn L3 8.4 step 1: the statement has the members the syntax requires.
        if (statement.Algorithm is not { } algorithm || statement.Signature is not { } signature || !statement.HasCertificates)
        {
            return AttestationStatementResult.Invalid("The Android key attestation statement lacks alg, sig or x5c.");
        }

        if (!CoseAlgorithms.IsSupported(algorithm))
        {
            return AttestationStatementResult.Invalid($"The Android key attestation signature algorithm {CoseAlgorithms.Name(algorithm)} is not supported.");
        }

        List<X509Certificate2> certificates = [];
        try
        {
            foreach (var der in statement.Certificates)
            {
                certificates.Add(X509CertificateLoader.LoadCertificate(der));
            }

            var reason = Check(certificates[0], attestation, credentialKey, clientDataHash, algorithm, signature);
            if (reason is null)
            {
                // WebAuthn L3 8.4 step 6.
                return AttestationStatementResult.Valid(AttestationType.Basic, certificates);
            }

            DisposeAll(certificates);
            return AttestationStatementResult.Invalid(reason);
        }
        catch (CryptographicException ex)
        {
            DisposeAll(certificates);
            return AttestationStatementResult.Invalid("A certificate in the Android key attestation statement's x5c is malformed: " + ex.Message);
        }
    }

    private string? Check(X509Certificate2 credentialCertificate, AttestationObject attestation, CoseKey credentialKey, ReadOnlySpan<byte> clientDataHash, int algorithm, byte[] signature)
    {
        // WebAuthn L3 8.4 step 2: sig is over authenticatorData || clientDataHash with the x5c[0] key.
        byte[] signedData = [.. attestation.AuthenticatorData.Raw, .. clientDataHash];
        if (!CoseAlgorithms.VerifyWithCertificate(algorithm, credentialCertificate, signedData, signature))
        {
            return "The Android key attestation signature does not verify with the attestation certificate.";
        }

        // WebAuthn L3 8.4 step 3.
        if (!credentialKey.IsKeyOf(credentialCertificate))
        {
            return "The Android key attestation certificate certifies another key than the credential public key.";
        }

        var description = AndroidKeyDescription.TryRead(credentialCertificate, out var error);
        if (description is null)
        {
            return error;
        }

        // WebAuthn L3 8.4 step 4.
        if (!CryptographicOperations.FixedTimeEquals(description.AttestationChallenge, clientDataHash))
        {
            return "The Android key attestation challenge does not match the hash of the client data; the key was attested for another ceremony.";
        }

        // WebAuthn L3 8.4 step 5: the key is scoped to this relying party, not to every application.
        if (description.SoftwareEnforced.AllApplications || description.TeeEnforced.AllApplications)
        {
            return "The Android key may be used by all applications on the device (allApplications); a passkey must be scoped to its relying party.";
        }

        var tee = description.TeeEnforced;
        var software = description.SoftwareEnforced;
        var origin = AcceptSoftwareEnforcedAuthorizations ? tee.Origin ?? software.Origin : tee.Origin;
        if (origin != AndroidAuthorizationList.OriginGenerated)
        {
            return origin is null
                ? MissingFromTee("origin")
                : "The Android key was not generated in the device's keystore (origin is not KM_ORIGIN_GENERATED); it was imported or derived.";
        }

        var purposes = AcceptSoftwareEnforcedAuthorizations ? tee.Purposes.Concat(software.Purposes) : tee.Purposes;
        if (!purposes.Contains(AndroidAuthorizationList.PurposeSign))
        {
            return !AcceptSoftwareEnforcedAuthorizations && tee.Purposes.Count == 0 && software.Purposes.Count > 0
                ? MissingFromTee("purpose")
                : "The Android key is not authorized for signing (purpose lacks KM_PURPOSE_SIGN).";
        }

        return null;
    }

    private string MissingFromTee(string authorization) => AcceptSoftwareEnforcedAuthorizations
        ? $"The Android key description states no {authorization}."
        : $"The Android key's {authorization} is not enforced by a trusted execution environment (absent from teeEnforced); software-only keys are not accepted.";

    private static void DisposeAll(List<X509Certificate2> certificates)
    {
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }
}
