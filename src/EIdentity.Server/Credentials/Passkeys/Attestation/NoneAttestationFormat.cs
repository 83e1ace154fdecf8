namespace EIdentity.Server.Credentials.Passkeys.Attestation;

/// <summary>The "none" attestation statement format (WebAuthn L3 8.7): no attestation at all.</summary>
internal sealed class NoneAttestationFormat : IAttestationStatementFormat
{
    public string Identifier => "none";

    public AttestationStatementResult Verify(AttestationObject attestation, CoseKey credentialKey, ReadOnlySpan<byte> clientDataHash)
    {
        ArgumentNullException.ThrowIfNull(attestation);

        // WebAuthn L3 8.7: attStmt is the empty map; the attestation type is None.
        return attestation.Statement.IsEmpty
            ? AttestationStatementResult.Valid(AttestationType.None)
            : AttestationStatementResult.Invalid("The none attestation statement must be empty, but the authenticator put members in it.");
    }
}
