using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Server.Credentials.Passkeys.Attestation;

/// <summary>
/// The "tpm" attestation statement format (WebAuthn L3 8.3): a TPM 2.0 certifies the credential key
/// (TPM2_Certify) with an attestation identity key whose certificate is in <c>x5c</c>.
/// </summary>
/// <remarks>
/// <c>sig</c> is verified as the bare signature value (PKCS #1 or PSS for RSA, DER for ECDSA), as
/// Windows and other TPM platforms emit it. ECDAA is not supported, so <c>x5c</c> is required.
/// </remarks>
internal sealed class TpmAttestationFormat : IAttestationStatementFormat
{
    public string Identifier => "tpm";

    public AttestationStatementResult Verify(AttestationObject attestation, CoseKey credentialKey, ReadOnlySpan<byte> clientDataHash)
    {
        ArgumentNullException.ThrowIfNull(attestation);
        ArgumentNullException.ThrowIfNull(credentialKey);
        var statement = attestation.Statement;

        // WebAuthn L3 8.3 step 1: the statement has the members the syntax requires.
        if (statement.Version != "2.0")
        {
            return AttestationStatementResult.Invalid(statement.Version is null
                ? "The TPM attestation statement has no version (ver)."
                : $"The TPM attestation statement is for TPM version '{statement.Version}'; only TPM 2.0 is supported.");
        }

        if (statement.Algorithm is not { } algorithm || statement.Signature is not { } signature
            || statement.CertInfo is not { } certInfoBytes || statement.PubArea is not { } pubAreaBytes)
        {
            return AttestationStatementResult.Invalid("The TPM attestation statement lacks alg, sig, certInfo or pubArea.");
        }

        if (!CoseAlgorithms.IsSupported(algorithm))
        {
            return AttestationStatementResult.Invalid($"The TPM attestation signature algorithm {CoseAlgorithms.Name(algorithm)} is not supported.");
        }

        var pubArea = TpmPublicArea.TryParse(pubAreaBytes, out var error);
        if (pubArea is null)
        {
            return AttestationStatementResult.Invalid(error!);
        }

        var certInfo = TpmAttest.TryParse(certInfoBytes, out error);
        if (certInfo is null)
        {
            return AttestationStatementResult.Invalid(error!);
        }

        // WebAuthn L3 8.3 step 2: pubArea's parameters and unique field are the credential public key.
        if (!pubArea.Matches(credentialKey))
        {
            return AttestationStatementResult.Invalid("The public key in the TPM pubArea does not match the credential public key.");
        }

        // WebAuthn L3 8.3 step 3: attToBeSigned = authenticatorData || clientDataHash.
        byte[] attToBeSigned = [.. attestation.AuthenticatorData.Raw, .. clientDataHash];

        // WebAuthn L3 8.3 step 4: the integrity of certInfo rests on aikCert, the first x5c certificate.
        if (!statement.HasCertificates)
        {
            return AttestationStatementResult.Invalid("The TPM attestation statement has no x5c certificate chain; ECDAA attestation is not supported.");
        }

        var certificates = LoadCertificates(statement.Certificates);
        if (certificates is null)
        {
            return AttestationStatementResult.Invalid("A certificate in the TPM attestation statement's x5c is not a valid X.509 certificate.");
        }

        try
        {
            var aikCertificate = certificates[0];
            if (TpmAikCertificate.CheckRequirements(aikCertificate) is { } requirement)
            {
                return Refuse(certificates, requirement);
            }

            if (TpmAikCertificate.CheckAaguid(aikCertificate, attestation.AuthenticatorData.AaguidBytes) is { } aaguid)
            {
                return Refuse(certificates, aaguid);
            }

            if (!CoseAlgorithms.VerifyWithCertificate(algorithm, aikCertificate, certInfoBytes, signature))
            {
                return Refuse(certificates, "The TPM attestation signature over certInfo does not verify with the attestation certificate.");
            }
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException)
        {
            return Refuse(certificates, "The TPM attestation certificate is malformed: " + ex.Message);
        }

        // WebAuthn L3 8.3 step 5: certInfo is valid.
        if (certInfo.Magic != TpmConstants.GeneratedValue)
        {
            return Refuse(certificates, "The TPM certInfo magic is not TPM_GENERATED_VALUE; the TPM did not produce this structure.");
        }

        if (certInfo.Type != TpmConstants.StAttestCertify)
        {
            return Refuse(certificates, $"The TPM certInfo has type 0x{certInfo.Type:X4}; TPM_ST_ATTEST_CERTIFY (0x8017) is required.");
        }

        var expectedExtraData = CryptographicOperations.HashData(CoseAlgorithms.Hash(algorithm), attToBeSigned);
        if (!CryptographicOperations.FixedTimeEquals(certInfo.ExtraData, expectedExtraData))
        {
            return Refuse(certificates, "The TPM certInfo extraData does not match the hash of authenticatorData and clientDataHash.");
        }

        if (TpmConstants.Hash(pubArea.NameAlg) is not { } nameHash)
        {
            return Refuse(certificates, $"The TPM pubArea name algorithm 0x{pubArea.NameAlg:X4} is not SHA-1, SHA-256, SHA-384 or SHA-512.");
        }

        // TPM 2.0 Library Part 1, 16: Name = nameAlg || H_nameAlg(TPMT_PUBLIC).
        var name = new byte[2 + HashLength(nameHash)];
        BinaryPrimitives.WriteUInt16BigEndian(name, pubArea.NameAlg);
        CryptographicOperations.HashData(nameHash, pubAreaBytes, name.AsSpan(2));
        if (!certInfo.CertifiedName.AsSpan().SequenceEqual(name))
        {
            return Refuse(certificates, "The name the TPM certified in certInfo is not the name of pubArea; the TPM certified another key.");
        }

        return AttestationStatementResult.Valid(AttestationType.AttestationCa, certificates);
    }

    private static int HashLength(HashAlgorithmName hash)
        => hash == HashAlgorithmName.SHA1 ? 20 : hash == HashAlgorithmName.SHA256 ? 32 : hash == HashAlgorithmName.SHA384 ? 48 : 64;

    private static List<X509Certificate2>? LoadCertificates(IReadOnlyList<byte[]> encoded)
    {
        List<X509Certificate2> certificates = [];
        try
        {
            foreach (var der in encoded)
            {
                certificates.Add(X509CertificateLoader.LoadCertificate(der));
            }

            return certificates;
        }
        catch (CryptographicException)
        {
            DisposeAll(certificates);
            return null;
        }
    }

    private static AttestationStatementResult Refuse(List<X509Certificate2> certificates, string reason)
    {
        DisposeAll(certificates);
        return AttestationStatementResult.Invalid(reason);
    }

    private static void DisposeAll(List<X509Certificate2> certificates)
    {
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }
}
