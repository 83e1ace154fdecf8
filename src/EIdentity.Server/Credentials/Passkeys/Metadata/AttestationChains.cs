using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace EIdentity.Server.Credentials.Passkeys.Metadata;

/// <summary>Chains an attestation trust path (x5c) to the roots of one authenticator model.</summary>
internal static class AttestationChains
{
    private const string NotChained = "The attestation certificate does not chain to a root trusted for this authenticator model.";

    /// <summary>
    /// WebAuthn L3 7.1 steps 22-23: the attestation is trustworthy when its trust path chains to a root
    /// this model allows. Only the model's roots are anchors (never the machine store); nothing is
    /// downloaded and revocation is not checked (attestation CAs rarely publish CRLs, and we run offline).
    /// </summary>
    /// <param name="trustPath">x5c: the attestation certificate first, then intermediates (possibly the root too).</param>
    /// <param name="roots">The model's attestation roots.</param>
    /// <param name="now">The time the chain must be valid at.</param>
    public static ChainResult Validate(IReadOnlyList<X509Certificate2> trustPath, IReadOnlyList<X509Certificate2> roots, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(trustPath);
        ArgumentNullException.ThrowIfNull(roots);

        if (trustPath.Count == 0)
        {
            return ChainResult.Untrusted("The attestation statement carries no attestation certificate.");
        }

        if (roots.Count == 0)
        {
            return ChainResult.Untrusted("No attestation roots are configured for this authenticator model.");
        }

        var attestation = trustPath[0];
        if (Validity(attestation, now, "The attestation certificate") is { } expired)
        {
            return ChainResult.Untrusted(expired);
        }

        // Some models attest with a certificate that is itself the configured anchor (a per-model
        // self-signed or batch certificate), possibly re-issued with other dates: RFC 5280 6.1.1 (d)
        // defines a trust anchor by its name and public key, not by one certificate's bytes.
        if (roots.Any(r => IsSameAnchor(r, attestation)))
        {
            return ChainResult.Trusted;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        // A root included in x5c only helps path building; trust still comes from CustomTrustStore alone.
        chain.ChainPolicy.ExtraStore.AddRange(trustPath.Skip(1).ToArray());
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;

        if (chain.Build(attestation))
        {
            var anchor = chain.ChainElements[^1].Certificate;
            return roots.Any(r => r.RawDataMemory.Span.SequenceEqual(anchor.RawDataMemory.Span))
                ? ChainResult.Trusted
                : ChainResult.Untrusted(NotChained);
        }

        return ChainResult.Untrusted(Explain(chain, now));
    }

    private static string Explain(X509Chain chain, DateTimeOffset now)
    {
        // RFC 5280 6.1.3 (a)(2): validity periods first, because an expired link is the most useful thing to say.
        for (var i = 1; i < chain.ChainElements.Count; i++)
        {
            var role = i == chain.ChainElements.Count - 1 && IsSelfIssued(chain.ChainElements[i].Certificate)
                ? "The attestation root certificate"
                : "An intermediate certificate of the attestation chain";
            if (Validity(chain.ChainElements[i].Certificate, now, role) is { } expired)
            {
                return expired;
            }
        }

        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        if (flags.HasFlag(X509ChainStatusFlags.PartialChain) || flags.HasFlag(X509ChainStatusFlags.UntrustedRoot))
        {
            return NotChained;
        }

        if (flags.HasFlag(X509ChainStatusFlags.NotSignatureValid))
        {
            return "A signature in the attestation certificate chain is not valid.";
        }

        if (flags.HasFlag(X509ChainStatusFlags.InvalidBasicConstraints))
        {
            return "A certificate in the attestation chain was issued by a certificate that is not a CA.";
        }

        var details = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return $"The attestation certificate chain is not valid ({(details.Length > 0 ? details : flags.ToString())}).";
    }

    private static string? Validity(X509Certificate2 certificate, DateTimeOffset now, string role)
    {
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        if (now > notAfter)
        {
            return $"{role} expired on {notAfter.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}.";
        }

        return now < notBefore
            ? $"{role} is not valid before {notBefore.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}."
            : null;
    }

    /// <summary>RFC 5280 6.1.1 (d): a trust anchor is a name and a public key; two certificates with both equal are one anchor.</summary>
    internal static bool IsSameAnchor(X509Certificate2 root, X509Certificate2 certificate) =>
        root.SubjectName.RawData.AsSpan().SequenceEqual(certificate.SubjectName.RawData)
        && root.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(certificate.PublicKey.ExportSubjectPublicKeyInfo());

    private static bool IsSelfIssued(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);
}
