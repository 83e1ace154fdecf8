using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Server.Credentials.Passkeys.Attestation;

/// <summary>
/// The "packed" attestation statement format (WebAuthn L3 8.2): a signature over
/// <c>authenticatorData || clientDataHash</c>, either by an attestation certificate (<c>x5c</c>)
/// or by the credential key itself (self attestation).
/// </summary>
internal sealed class PackedAttestationFormat : IAttestationStatementFormat
{
    private const string CountryOid = "2.5.4.6";
    private const string OrganizationOid = "2.5.4.10";
    private const string OrganizationalUnitOid = "2.5.4.11";
    private const string CommonNameOid = "2.5.4.3";
    private const string AttestationOrganizationalUnit = "Authenticator Attestation";

    public string Identifier => "packed";

    public AttestationStatementResult Verify(AttestationObject attestation, CoseKey credentialKey, ReadOnlySpan<byte> clientDataHash)
    {
        ArgumentNullException.ThrowIfNull(attestation);
        ArgumentNullException.ThrowIfNull(credentialKey);

        // WebAuthn L3 8.2 step 1
        var statement = attestation.Statement;
        if (statement.Algorithm is not { } algorithm)
        {
            return AttestationStatementResult.Invalid("The packed attestation statement does not say which algorithm signed it (alg is missing).");
        }

        if (statement.Signature is not { } signature)
        {
            return AttestationStatementResult.Invalid("The packed attestation statement has no signature (sig is missing).");
        }

        if (!CoseAlgorithms.IsSupported(algorithm))
        {
            return AttestationStatementResult.Invalid($"The packed attestation is signed with the algorithm {CoseAlgorithms.Name(algorithm)}, which is not supported.");
        }

        byte[] signedData = [.. attestation.AuthenticatorData.Raw, .. clientDataHash];
        return statement.HasCertificates
            ? VerifyWithCertificates(attestation, algorithm, signature, signedData)
            : VerifySelf(credentialKey, algorithm, signature, signedData);
    }

    private static AttestationStatementResult VerifyWithCertificates(AttestationObject attestation, int algorithm, byte[] signature, byte[] signedData)
    {
        var certificates = AttestationCertificates.TryLoad(attestation.Statement.Certificates, "packed", out var error);
        if (certificates is null)
        {
            return AttestationStatementResult.Invalid(error!);
        }

        string? reason;
        try
        {
            reason = CheckCertificateStatement(certificates[0], attestation.AuthenticatorData, algorithm, signature, signedData);
        }
        catch (CryptographicException)
        {
            reason = "The packed attestation certificate could not be read, so its signature cannot be checked.";
        }

        if (reason is not null)
        {
            AttestationCertificates.Release(certificates);
            return AttestationStatementResult.Invalid(reason);
        }

        // WebAuthn L3 8.2 step 2: Basic or AttCA; without metadata the two cannot be told apart.
        return AttestationStatementResult.Valid(AttestationType.Basic, certificates);
    }

    private static string? CheckCertificateStatement(X509Certificate2 certificate, AuthenticatorData authenticatorData, int algorithm, byte[] signature, byte[] signedData)
    {
        // WebAuthn L3 8.2 step 2
        if (!CoseAlgorithms.VerifyWithCertificate(algorithm, certificate, signedData, signature))
        {
            return "The packed attestation signature does not verify with the attestation certificate.";
        }

        // WebAuthn L3 8.2.1
        if (certificate.Version != 3)
        {
            return $"The packed attestation certificate is X.509 version {certificate.Version}; version 3 is required.";
        }

        if (CheckSubject(certificate.SubjectName) is { } subjectProblem)
        {
            return subjectProblem;
        }

        if (AttestationCertificates.IsCertificateAuthority(certificate))
        {
            return "The packed attestation certificate is a CA certificate (basic constraints CA=true); an attestation certificate must not be one.";
        }

        // WebAuthn L3 8.2 step 2 and 8.2.1: id-fido-gen-ce-aaguid.
        return AttestationCertificates.CheckAaguidExtension(certificate, authenticatorData.AaguidBytes, "packed");
    }

    // WebAuthn L3 8.2.1: Subject-C, Subject-O, Subject-OU "Authenticator Attestation", Subject-CN.
    private static string? CheckSubject(X500DistinguishedName subject)
    {
        var attributes = subject.EnumerateRelativeDistinguishedNames()
            .Where(rdn => !rdn.HasMultipleElements)
            .ToLookup(rdn => rdn.GetSingleElementType().Value, rdn => rdn.GetSingleElementValue());

        if (attributes[CountryOid].ToList() is not [{ Length: 2 } country] || !country.All(char.IsAsciiLetter))
        {
            return "The packed attestation certificate's subject does not name a country (C) as a two-letter ISO 3166 code.";
        }

        if (attributes[OrganizationOid].ToList() is not [{ } organization] || string.IsNullOrWhiteSpace(organization))
        {
            return "The packed attestation certificate's subject does not name the authenticator vendor (O).";
        }

        if (attributes[OrganizationalUnitOid].ToList() is not [AttestationOrganizationalUnit])
        {
            return "The packed attestation certificate's subject organizational unit (OU) is not \"Authenticator Attestation\".";
        }

        if (attributes[CommonNameOid].ToList() is not [{ } commonName] || string.IsNullOrWhiteSpace(commonName))
        {
            return "The packed attestation certificate's subject has no common name (CN).";
        }

        return null;
    }

    private static AttestationStatementResult VerifySelf(CoseKey credentialKey, int algorithm, byte[] signature, byte[] signedData)
    {
        // WebAuthn L3 8.2 step 3
        if (algorithm != credentialKey.Algorithm)
        {
            return AttestationStatementResult.Invalid(
                $"The packed self attestation names the algorithm {CoseAlgorithms.Name(algorithm)}, but the credential key is {CoseAlgorithms.Name(credentialKey.Algorithm)}.");
        }

        try
        {
            if (!credentialKey.Verify(signedData, signature))
            {
                return AttestationStatementResult.Invalid("The packed self attestation signature does not verify with the credential public key.");
            }
        }
        catch (CryptographicException)
        {
            return AttestationStatementResult.Invalid("The credential public key is not a usable key, so the packed self attestation cannot be checked.");
        }

        return AttestationStatementResult.Valid(AttestationType.Self);
    }
}
