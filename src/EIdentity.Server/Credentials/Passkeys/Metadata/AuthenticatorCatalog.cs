using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Server.Credentials.Passkeys.Metadata;

/// <summary>Where an authenticator model's description came from.</summary>
internal enum AuthenticatorSource
{
    /// <summary>A FIDO Alliance Metadata Service (MDS3) BLOB.</summary>
    MetadataService,

    /// <summary>The operator's local allow-list under <c>certs/</c>.</summary>
    AllowList,
}

/// <summary>
/// One authenticator model we know: how to recognise it (AAGUID, or attestation certificate key
/// identifiers for FIDO U2F keys), the roots its attestation must chain to, and its latest status.
/// </summary>
/// <param name="Aaguid">The model's AAGUID; null for U2F-only models.</param>
/// <param name="AttestationCertificateKeyIdentifiers">Lower-case hex SHA-1 subject key identifiers of U2F attestation certificates.</param>
/// <param name="Description">The model's name as shown to citizens and support staff.</param>
/// <param name="AttestationRoots">Trust anchors for this model's attestation (never the machine store).</param>
/// <param name="Status">The latest MDS3 status report's status (e.g. <c>FIDO_CERTIFIED_L1</c>, <c>REVOKED</c>); null when none.</param>
/// <param name="StatusEffectiveDate">When that status took effect.</param>
/// <param name="IsHardware">Whether the key is protected by hardware (MDS3 keyProtection hardware / secure_element / tee, or the allow-list says so).</param>
/// <param name="Source">Which source described the model.</param>
internal sealed record AuthenticatorModel(
    Guid? Aaguid,
    IReadOnlyList<string> AttestationCertificateKeyIdentifiers,
    string Description,
    IReadOnlyList<X509Certificate2> AttestationRoots,
    string? Status,
    DateOnly? StatusEffectiveDate,
    bool IsHardware,
    AuthenticatorSource Source);

/// <summary>An immutable view of every authenticator model loaded at one moment.</summary>
internal interface IAuthenticatorCatalogSnapshot
{
    /// <summary>Changes whenever the loaded content changes (a hash of the sources); equal versions mean equal content.</summary>
    string Version { get; }

    IReadOnlyCollection<AuthenticatorModel> Models { get; }

    /// <summary>Problems met while loading (bad signature, unreadable file...); the sources that loaded still apply.</summary>
    IReadOnlyList<string> Problems { get; }

    /// <summary>
    /// The model an attestation belongs to: by AAGUID when it is not all zeros, otherwise (FIDO U2F) by
    /// the attestation certificate's subject key identifier. Allow-list entries win over MDS3 entries.
    /// </summary>
    AuthenticatorModel? Find(Guid aaguid, X509Certificate2? attestationCertificate);
}

/// <summary>The authenticator metadata sources (MDS3 BLOB and local allow-list), reloadable without a restart.</summary>
internal interface IAuthenticatorCatalog
{
    /// <summary>The current snapshot; re-reads the sources when their files changed (checked at most every few seconds).</summary>
    IAuthenticatorCatalogSnapshot Current { get; }

    /// <summary>Re-reads every source now, whatever the file times say.</summary>
    IAuthenticatorCatalogSnapshot Reload();
}

/// <summary>The outcome of chaining an attestation trust path to a model's roots.</summary>
internal sealed record ChainResult(bool IsTrusted, string? Reason)
{
    public static ChainResult Trusted { get; } = new(true, null);

    public static ChainResult Untrusted(string reason) => new(false, reason);
}
