using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Server.Credentials.Passkeys.Attestation;

/// <summary>
/// What one attestation statement format concluded (WebAuthn L3 7.1 step 21): whether the
/// statement is valid, its attestation type and trust path. Whether the trust path reaches an
/// anchor we accept is decided afterwards by <see cref="AuthenticatorTrust"/>.
/// </summary>
internal sealed record AttestationStatementResult(bool IsValid, AttestationType Type, IReadOnlyList<X509Certificate2> TrustPath, string? Reason)
{
    public static AttestationStatementResult Valid(AttestationType type, IReadOnlyList<X509Certificate2> trustPath) => new(true, type, trustPath, null);

    public static AttestationStatementResult Valid(AttestationType type) => new(true, type, [], null);

    public static AttestationStatementResult Invalid(string reason) => new(false, AttestationType.None, [], reason);
}

/// <summary>
/// One attestation statement format's verification procedure (WebAuthn L3 8.x). Implementations
/// check the statement's syntax, its signature over <c>authenticatorData || clientDataHash</c> and
/// the format's certificate requirements; they never decide trust.
/// </summary>
internal interface IAttestationStatementFormat
{
    /// <summary>The format identifier (<c>fmt</c>), e.g. <c>packed</c>.</summary>
    string Identifier { get; }

    AttestationStatementResult Verify(AttestationObject attestation, CoseKey credentialKey, ReadOnlySpan<byte> clientDataHash);
}
