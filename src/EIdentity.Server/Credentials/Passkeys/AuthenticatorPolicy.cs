using System.Security.Cryptography.X509Certificates;
using EIdentity.Server.Credentials.Passkeys.Attestation;
using EIdentity.Server.Credentials.Passkeys.Metadata;
using EIdentity.Server.Sessions;
using Microsoft.Extensions.Options;

namespace EIdentity.Server.Credentials.Passkeys;

/// <summary>
/// What the authenticator policy concluded about one registration: whether the key may register,
/// what it is, and the level it reaches. <see cref="Reason"/> says why it was refused;
/// <see cref="Notes"/> say why it did not reach a higher level.
/// </summary>
internal sealed record AttestationVerdict(
    bool Accepted,
    string Format,
    Guid Aaguid,
    AttestationType Type,
    bool ChainTrusted,
    string? Model,
    string? ModelStatus,
    string Level,
    string? Reason,
    IReadOnlyList<string> Notes)
{
    public static AttestationVerdict Refused(string reason, string format = "", Guid aaguid = default, AttestationType type = AttestationType.None,
        string? model = null, string? modelStatus = null)
        => new(false, format, aaguid, type, false, model, modelStatus, "", reason, []);
}

/// <summary>
/// WebAuthn L3 7.1 steps 21-24 and our policy: verifies the attestation statement with its
/// format, finds the authenticator model in the metadata, chains the trust path to that model's
/// roots only, applies status reports, and decides the level (docs/passkey-policy.md).
/// </summary>
internal sealed class AuthenticatorPolicy(
    IEnumerable<IAttestationStatementFormat> formats,
    IAuthenticatorCatalog catalog,
    IOptionsMonitor<PasskeyPolicyOptions> options,
    TimeProvider time)
{
    private const byte FlagBackupEligible = 0x08;
    private const string PackedFormat = "packed";
    private const string TpmFormat = "tpm";
    private const string FidoU2fFormat = "fido-u2f";
    private const string AaguidExtensionOid = "1.3.6.1.4.1.45724.1.1.4";

    private readonly Dictionary<string, IAttestationStatementFormat> _formats =
        formats.ToDictionary(f => f.Identifier, StringComparer.Ordinal);

    /// <param name="attestationObject">The CBOR attestation object.</param>
    /// <param name="clientDataHash">SHA-256 of the client data JSON.</param>
    /// <param name="anyAuthenticator">Judge the attestation signature alone: no model lookup, chain or status (diagnostics).</param>
    public AttestationVerdict Evaluate(ReadOnlyMemory<byte> attestationObject, ReadOnlySpan<byte> clientDataHash, bool anyAuthenticator = false)
    {
        var policy = options.CurrentValue;
        if (AttestationObject.TryParse(attestationObject, out var parseError) is not { } attestation)
        {
            return AttestationVerdict.Refused(parseError!);
        }

        var data = attestation.AuthenticatorData;
        var aaguid = data.Aaguid;
        if (CoseKey.TryDecode(data.CredentialPublicKey, out var keyError) is not { } key)
        {
            return AttestationVerdict.Refused(keyError!, attestation.Format, aaguid);
        }

        // WebAuthn L3 7.1 step 21: an unknown format is refused, never silently treated as "none".
        if (!_formats.TryGetValue(attestation.Format, out var format))
        {
            return AttestationVerdict.Refused($"The attestation format '{attestation.Format}' is not supported.", attestation.Format, aaguid);
        }

        var statement = format.Verify(attestation, key, clientDataHash);
        if (!statement.IsValid)
        {
            return AttestationVerdict.Refused(statement.Reason!, attestation.Format, aaguid);
        }

        try
        {
            return Judge(attestation, statement, policy, anyAuthenticator);
        }
        finally
        {
            foreach (var certificate in statement.TrustPath)
            {
                certificate.Dispose();
            }
        }
    }

    private AttestationVerdict Judge(AttestationObject attestation, AttestationStatementResult statement, PasskeyPolicyOptions policy, bool anyAuthenticator)
    {
        var data = attestation.AuthenticatorData;
        var aaguid = data.Aaguid;
        List<string> notes = [];
        if (anyAuthenticator)
        {
            notes.Add("Judged without the authenticator allow-list, metadata or trust chain (--any-authenticator).");
            return new(true, attestation.Format, aaguid, statement.Type, false, null, null, AuthenticationMethods.LoaSubstantial, null, notes);
        }

        var snapshot = catalog.Current;
        var leaf = statement.TrustPath.Count > 0 ? statement.TrustPath[0] : null;
        // fido-u2f signs neither the AAGUID nor the flags (WebAuthn L3 8.6): a U2F key is known by
        // its attestation certificate alone, whatever AAGUID the authenticator data claims.
        var claimedAaguid = attestation.Format == FidoU2fFormat ? Guid.Empty : aaguid;
        var model = snapshot.Find(claimedAaguid, leaf);
        // A certificate listed (by key identifier) under a compromised model is refused whatever model it claims.
        var byCertificate = leaf is not null && claimedAaguid != Guid.Empty ? snapshot.Find(Guid.Empty, leaf) : null;
        foreach (var known in new[] { model, byCertificate })
        {
            if (known?.Status is { } status && policy.EffectiveRefusedStatuses.Contains(status, StringComparer.Ordinal))
            {
                return AttestationVerdict.Refused(
                    $"The FIDO Alliance metadata reports this authenticator model ({known.Description}) as {status}; it cannot be registered.",
                    attestation.Format, aaguid, statement.Type, known.Description, status);
            }
        }

        var trusted = false;
        if (model is not null && statement.TrustPath.Count > 0)
        {
            var chain = AttestationChains.Validate(statement.TrustPath, model.AttestationRoots, time.GetUtcNow());
            if (!chain.IsTrusted)
            {
                // A key that claims a known model but cannot prove it is refused, not quietly downgraded.
                return AttestationVerdict.Refused(chain.Reason!, attestation.Format, aaguid, statement.Type, model.Description, model.Status);
            }

            trusted = true;
        }
        else if (model is not null)
        {
            notes.Add($"The key names the model {model.Description} but its attestation ({attestation.Format}) carries no certificate to prove it.");
        }
        else
        {
            notes.Add(aaguid == Guid.Empty && statement.TrustPath.Count == 0
                ? "The key did not identify its model."
                : "The authenticator model is not on the allow-list or in the loaded metadata.");
        }

        if (policy.RequireKnownAuthenticator && !trusted)
        {
            return AttestationVerdict.Refused(
                "Only security keys from allowed authenticator models may be registered, and this key's attestation does not chain to one.",
                attestation.Format, aaguid, statement.Type, model?.Description, model?.Status);
        }

        var level = AuthenticationMethods.LoaSubstantial;
        if (trusted)
        {
            if (!model!.IsHardware)
            {
                notes.Add("The model does not keep keys in hardware.");
            }
            else if (!policy.EffectiveHighLevelSources.Contains(model.Source))
            {
                notes.Add($"The policy does not accept {model.Source} metadata for the high level.");
            }
            else if (model.Source == AuthenticatorSource.MetadataService && !snapshot.MetadataServiceIsCurrent)
            {
                notes.Add("The FIDO metadata BLOB is past its nextUpdate and may miss revocations, so it does not vouch for the high level.");
            }
            else if (attestation.Format is not (PackedFormat or TpmFormat))
            {
                // android-key does not cover the UV flag, apple keys are synchronised, U2F keys cannot verify the user.
                notes.Add($"A {attestation.Format} attestation does not vouch for a hardware-bound, user-verifying key.");
            }
            else if (!IsBoundToModel(leaf!, aaguid, model, snapshot))
            {
                notes.Add("The attestation certificate does not name the model (no AAGUID extension) and its root is shared with other models, so the model claim is not proven.");
            }
            else if ((data.Flags & FlagBackupEligible) != 0)
            {
                notes.Add("The credential can be synchronised to other devices (backup eligible), so it is not bound to one hardware key.");
            }
            else if (!data.UserVerified)
            {
                notes.Add("The authenticator did not verify the user (PIN or biometric).");
            }
            else
            {
                level = AuthenticationMethods.LoaHigh;
            }
        }

        return new(true, attestation.Format, aaguid, statement.Type, trusted, model?.Description, model?.Status, level, null, notes);
    }

    /// <summary>
    /// Whether the model the authenticator data claims is proven by the certificate: the certificate
    /// names the AAGUID itself (id-fido-gen-ce-aaguid; the format verifier already refused a
    /// mismatch), or it chains to roots no other known model trusts, so only this model's
    /// attestation keys can have signed it.
    /// </summary>
    private static bool IsBoundToModel(X509Certificate2 leaf, Guid aaguid, AuthenticatorModel model, IAuthenticatorCatalogSnapshot snapshot)
    {
        if (leaf.Extensions[AaguidExtensionOid] is not null)
        {
            return aaguid != Guid.Empty;
        }

        return !snapshot.Models.Any(other => !ReferenceEquals(other, model) && other.Aaguid != model.Aaguid
            && other.AttestationRoots.Any(theirs => model.AttestationRoots.Any(ours => AttestationChains.IsSameAnchor(ours, theirs))));
    }
}
