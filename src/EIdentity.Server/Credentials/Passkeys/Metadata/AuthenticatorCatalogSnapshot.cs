using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Server.Credentials.Passkeys.Metadata;

/// <summary>The models of one load, indexed for lookup; allow-list entries shadow MDS3 entries with the same identifier.</summary>
internal sealed class AuthenticatorCatalogSnapshot : IAuthenticatorCatalogSnapshot
{
    private readonly Dictionary<Guid, AuthenticatorModel> _byAaguid = [];
    private readonly Dictionary<string, AuthenticatorModel> _byKeyIdentifier = new(StringComparer.Ordinal);

    public AuthenticatorCatalogSnapshot(string version, IReadOnlyList<AuthenticatorModel> allowListed, IReadOnlyList<AuthenticatorModel> fromMetadataService, IReadOnlyList<string> problems, bool metadataServiceIsCurrent = true)
    {
        MetadataServiceIsCurrent = metadataServiceIsCurrent;
        ArgumentNullException.ThrowIfNull(allowListed);
        ArgumentNullException.ThrowIfNull(fromMetadataService);
        Version = version;
        Problems = problems;

        // The allow-list adds roots and the hardware flag; it never hides what the FIDO Alliance
        // reports about the same model, so an allow-listed model keeps its MDS3 status.
        var allowed = allowListed.Select(model => StatusFrom(fromMetadataService, model)).ToList();
        foreach (var model in allowed)
        {
            Index(model, overwrite: true);
        }

        var models = new List<AuthenticatorModel>(allowed);
        foreach (var model in fromMetadataService)
        {
            var shadowed = (model.Aaguid is { } aaguid && _byAaguid.ContainsKey(aaguid))
                || model.AttestationCertificateKeyIdentifiers.Any(k => _byKeyIdentifier.TryGetValue(k, out var known) && known.Source == AuthenticatorSource.AllowList);
            if (!shadowed)
            {
                // First entry wins if the BLOB repeats an identifier.
                Index(model, overwrite: false);
                models.Add(model);
            }
        }

        Models = models;
    }

    public string Version { get; }

    public IReadOnlyCollection<AuthenticatorModel> Models { get; }

    public IReadOnlyList<string> Problems { get; }

    public bool MetadataServiceIsCurrent { get; }

    public AuthenticatorModel? Find(Guid aaguid, X509Certificate2? attestationCertificate)
    {
        // WebAuthn L3 6.5.1: FIDO U2F authenticators (fido-u2f attestation) report an all-zero AAGUID;
        // MDS3 identifies them by their attestation certificate's key identifier instead.
        if (aaguid != Guid.Empty)
        {
            return _byAaguid.GetValueOrDefault(aaguid);
        }

        return attestationCertificate is null
            ? null
            : _byKeyIdentifier.GetValueOrDefault(CertificateFiles.KeyIdentifierOf(attestationCertificate));
    }

    private static AuthenticatorModel StatusFrom(IReadOnlyList<AuthenticatorModel> fromMetadataService, AuthenticatorModel allowListed)
    {
        var reported = fromMetadataService.FirstOrDefault(m =>
            (m.Aaguid is { } aaguid && aaguid == allowListed.Aaguid)
            || m.AttestationCertificateKeyIdentifiers.Intersect(allowListed.AttestationCertificateKeyIdentifiers, StringComparer.Ordinal).Any());
        return reported?.Status is null ? allowListed : allowListed with { Status = reported.Status, StatusEffectiveDate = reported.StatusEffectiveDate };
    }

    private void Index(AuthenticatorModel model, bool overwrite)
    {
        if (model.Aaguid is { } aaguid && (overwrite || !_byAaguid.ContainsKey(aaguid)))
        {
            _byAaguid[aaguid] = model;
        }

        foreach (var keyIdentifier in model.AttestationCertificateKeyIdentifiers)
        {
            if (overwrite || !_byKeyIdentifier.ContainsKey(keyIdentifier))
            {
                _byKeyIdentifier[keyIdentifier] = model;
            }
        }
    }
}
