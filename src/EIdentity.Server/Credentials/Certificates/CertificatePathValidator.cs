using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Pkix;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace EIdentity.Server.Credentials.Certificates;

/// <summary>
/// RFC 5280 section 6 path validation, offline: the caller supplies the trust anchors, the
/// intermediate CA certificates and the revocation evidence. Every refusal is a result whose reason
/// is one English sentence; no exception escapes for a bad certificate.
/// </summary>
/// <remarks>
/// The path is chained by name here (preferring the candidate whose key verifies the signature and
/// which is valid at the time asked), then explained by explicit checks so that a refusal names the
/// certificate and the rule, then validated by BouncyCastle's <see cref="PkixCertPathValidator"/>
/// as the authority on RFC 5280 (policies, name constraints and anything the explicit checks miss).
/// Revocation is checked afterwards, for every certificate below the trust anchor, through an
/// <see cref="IRevocationSource"/>; a status that cannot be decided refuses the certificate.
/// </remarks>
internal static class CertificatePathValidator
{
    /// <summary>Longer paths than this are refused rather than searched.</summary>
    public const int MaxPathLength = 8;

    // RFC 5280 4.2 extensions the explicit checks and BouncyCastle's validator process; any other
    // critical extension refuses the certificate (RFC 5280 6.1.4 (o), 6.1.5 (f)).
    private static readonly HashSet<string> ProcessedExtensions = new(StringComparer.Ordinal)
    {
        X509Extensions.KeyUsage.Id,
        X509Extensions.BasicConstraints.Id,
        X509Extensions.SubjectAlternativeName.Id,
        X509Extensions.NameConstraints.Id,
        X509Extensions.CertificatePolicies.Id,
        X509Extensions.PolicyMappings.Id,
        X509Extensions.PolicyConstraints.Id,
        X509Extensions.InhibitAnyPolicy.Id,
        X509Extensions.ExtendedKeyUsage.Id,
    };

    private static readonly ConditionalWeakTable<X509Certificate2, BcCertificate> ParsedCas = new();

    // Whether a CA certificate's signature verifies with another CA certificate's key: a fact about
    // two fixed certificates, so it is kept for as long as both objects live. Never kept for the
    // certificate being validated, whose signature is checked on every call.
    private static readonly ConditionalWeakTable<BcCertificate, ConcurrentDictionary<BcCertificate, bool>> CaSignatures = new();

    public static Task<CertificateValidationResult> ValidateAsync(
        X509Certificate2 leaf,
        IReadOnlyList<X509Certificate2> trustAnchors,
        IReadOnlyList<X509Certificate2> intermediates,
        IReadOnlyList<byte[]> crls,
        DateTimeOffset at,
        CertificateValidationOptions options) =>
        ValidateAsync(leaf, trustAnchors, intermediates, new CrlRevocationSource(crls), at, options, CancellationToken.None);

    public static async Task<CertificateValidationResult> ValidateAsync(
        X509Certificate2 leaf,
        IReadOnlyList<X509Certificate2> trustAnchors,
        IReadOnlyList<X509Certificate2> intermediates,
        IRevocationSource revocation,
        DateTimeOffset at,
        CertificateValidationOptions options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(trustAnchors);
        ArgumentNullException.ThrowIfNull(intermediates);
        ArgumentNullException.ThrowIfNull(revocation);
        ArgumentNullException.ThrowIfNull(options);

        if (Parse(leaf) is not { } target)
        {
            return CertificateValidationResult.Invalid("The certificate could not be read as an X.509 certificate.");
        }

        // The CA certificates are parsed once per certificate object (the trust store keeps its own),
        // so their public keys and BouncyCastle's precomputed tables for them serve every sign-in.
        var supplied = new Dictionary<BcCertificate, X509Certificate2>(ReferenceEqualityComparer.Instance);
        var anchors = ParseCas(trustAnchors, supplied);
        if (anchors.Count == 0)
        {
            return CertificateValidationResult.Invalid("No trust anchor was supplied, so no certificate can be trusted.");
        }

        var cas = ParseCas(intermediates, supplied);
        var signatures = new Signatures(supplied);
        var chain = Chain(target, anchors, cas, at, signatures, out var chainProblem);
        if (chain is null)
        {
            return CertificateValidationResult.Invalid(chainProblem!);
        }

        var problem = Explain(chain, at, options, signatures) ?? ValidateWithBouncyCastle(chain, anchors, at);
        if (problem is not null)
        {
            return CertificateValidationResult.Invalid(problem);
        }

        // RFC 5280 6.1.3 (a)(3): every certificate below the trust anchor must not be revoked.
        var sources = new List<string>();
        var notes = new List<string>();
        for (var i = 0; i < chain.Count - 1; i++)
        {
            var check = await revocation.CheckAsync(chain[i], chain[i + 1], at, cancellationToken);
            switch (check.Status)
            {
                case RevocationStatus.Revoked:
                    var when = check.RevokedAt is { } revokedAt ? $" on {CrlRevocationSource.Day(revokedAt)}" : "";
                    var why = check.RevocationReason is { } reason ? $" ({reason})" : "";
                    var according = check.Source is { } source ? $", according to {source}" : "";
                    return CertificateValidationResult.Invalid($"{Capital(Who(i, chain.Count))} was revoked{when}{why}{according}.");
                case RevocationStatus.Unknown:
                    return CertificateValidationResult.Invalid($"The revocation status of {Who(i, chain.Count)} is unknown: {check.Problem}.");
                case RevocationStatus.Good:
                    if (check.Source is { } decidedBy)
                    {
                        sources.Add($"{decidedBy} for {Who(i, chain.Count)}");
                    }

                    if (check.Note is { } note)
                    {
                        notes.Add($" For {Who(i, chain.Count)}, {note}.");
                    }

                    break;
                default:
                    throw new InvalidOperationException($"Unexpected revocation status {check.Status}.");
            }
        }

        var path = new List<X509Certificate2>(chain.Count) { leaf };
        // The caller's certificate objects, copied (a handle reference, not a parse): the caller may dispose its own.
        path.AddRange(chain.Skip(1).Select(c => new X509Certificate2(supplied[c])));
        // Every decision says why: which evidence decided, and what was not checked (fail-open).
        var checkedBy = sources.Count > 0 ? $" Revocation status came from {string.Join(", ", sources)}." : "";
        return new CertificateValidationResult(
            true,
            $"The certificate chains to a trust anchor, and no certificate in its path is expired, misused or revoked.{checkedBy}{string.Concat(notes)}",
            path);
    }

    private static List<BcCertificate> ParseCas(IReadOnlyList<X509Certificate2> certificates, Dictionary<BcCertificate, X509Certificate2> supplied)
    {
        var parsed = new List<BcCertificate>(certificates.Count);
        foreach (var certificate in certificates)
        {
            if (!ParsedCas.TryGetValue(certificate, out var ca))
            {
                if (Parse(certificate) is not { } fresh)
                {
                    continue;
                }

                ca = ParsedCas.GetValue(certificate, _ => fresh);
            }

            parsed.Add(ca);
            supplied[ca] = certificate;
        }

        return parsed;
    }

    private static BcCertificate? Parse(X509Certificate2 certificate)
    {
        try
        {
            return new BcCertificate(certificate.RawData);
        }
        catch (Exception e) when (IsBadInput(e))
        {
            return null;
        }
    }

    // RFC 5280 6.1 (and 3.2): the path runs from the certificate up to a trust anchor, each
    // certificate's issuer name being the next one's subject name.
    private static List<BcCertificate>? Chain(BcCertificate target, List<BcCertificate> anchors, List<BcCertificate> cas, DateTimeOffset at, Signatures signatures, out string? problem)
    {
        var chain = new List<BcCertificate> { target };
        while (true)
        {
            var current = chain[^1];
            if (Pick(anchors.Where(a => a.SubjectDN.Equivalent(current.IssuerDN, true)), current, at, signatures) is { } anchor)
            {
                chain.Add(anchor);
                problem = null;
                return chain;
            }

            if (chain.Count >= MaxPathLength)
            {
                problem = $"The certification path is longer than {MaxPathLength} certificates without reaching a trust anchor.";
                return null;
            }

            var issuer = Pick(cas.Where(c => c.SubjectDN.Equivalent(current.IssuerDN, true) && !chain.Contains(c)), current, at, signatures);
            if (issuer is null)
            {
                problem = chain.Count == 1
                    ? "The certificate's issuer is neither a trust anchor nor one of the supplied intermediate CA certificates (no certificate has its issuer's name)."
                    : $"The issuer of {Who(chain.Count - 1, chain.Count + 1)} is neither a trust anchor nor one of the supplied intermediate CA certificates (no certificate has its issuer's name).";
                return null;
            }

            chain.Add(issuer);
        }
    }

    private static BcCertificate? Pick(IEnumerable<BcCertificate> candidates, BcCertificate subject, DateTimeOffset at, Signatures signatures)
    {
        var list = candidates.ToList();
        return list.FirstOrDefault(c => signatures.Verify(subject, c) && IsWithinValidity(c, at))
            ?? list.FirstOrDefault(c => signatures.Verify(subject, c))
            ?? list.FirstOrDefault();
    }

    /// <returns>Why the path is not valid, or <see langword="null"/> when these checks pass.</returns>
    private static string? Explain(List<BcCertificate> chain, DateTimeOffset at, CertificateValidationOptions options, Signatures signatures)
    {
        var n = chain.Count;
        for (var i = 0; i < n; i++)
        {
            var certificate = chain[i];
            var who = Capital(Who(i, n));
            var isAnchor = i == n - 1;

            // RFC 5280 6.1.3 (a)(1): the signature verifies with the working public key (the issuer's).
            if (!isAnchor && !signatures.Verify(certificate, chain[i + 1]))
            {
                return $"The signature on {Who(i, n)} does not verify with the public key of {Who(i + 1, n)}.";
            }

            // RFC 5280 6.1.3 (a)(2): the time asked is within the validity period. The trust anchor's
            // own validity is not part of RFC 5280's algorithm; an expired anchor is refused anyway,
            // as an operator would expect of a trust store.
            if (at < Utc(certificate.NotBefore))
            {
                return $"{who} is not valid before {CrlRevocationSource.Day(Utc(certificate.NotBefore))}.";
            }

            if (at > Utc(certificate.NotAfter))
            {
                return $"{who} expired on {CrlRevocationSource.Day(Utc(certificate.NotAfter))}.";
            }

            // RFC 5280 6.1.4 (o), 6.1.5 (f): an unrecognised critical extension refuses the certificate.
            if (!isAnchor && certificate.GetCriticalExtensionOids()?.FirstOrDefault(oid => !ProcessedExtensions.Contains(oid)) is { } unknown)
            {
                return $"{who} has a critical extension this validator does not recognise ({unknown}).";
            }

            if (i > 0)
            {
                if (CaProblem(chain, i, isAnchor) is { } caProblem)
                {
                    return $"{who} {caProblem}.";
                }
            }
            else if (i == 0 && LeafProblem(certificate, options) is { } leafProblem)
            {
                return leafProblem;
            }
        }

        return null;
    }

    private static string? CaProblem(List<BcCertificate> chain, int i, bool isAnchor)
    {
        var ca = chain[i];

        // RFC 5280 6.1.4 (k): an intermediate must be a CA certificate. For a trust anchor the
        // extension is optional, but one that says "not a CA" is believed.
        var pathLength = ca.GetBasicConstraints();
        var hasBasicConstraints = ca.GetExtensionValue(X509Extensions.BasicConstraints) is not null;
        if (pathLength < 0 && (!isAnchor || hasBasicConstraints))
        {
            return "is not a CA certificate (no basicConstraints with cA=true), so it cannot issue certificates";
        }

        // RFC 5280 6.1.4 (n) and 4.2.1.3: a CA key that signs certificates must have keyCertSign.
        // A CA certificate without a key usage extension is refused too (RFC 5280 4.2.1.3: conforming
        // CAs MUST include it); a trust anchor without one is accepted.
        var usage = ca.GetKeyUsage();
        if ((usage is null && !isAnchor) || (usage is not null && !usage[5]))
        {
            return "is not allowed to sign certificates (no keyCertSign)";
        }

        // RFC 5280 6.1.4 (l), (m): pathLenConstraint counts the non-self-issued intermediate CA
        // certificates below this one. Enforced for a trust anchor too, as its issuer meant it.
        var below = chain.Skip(1).Take(i - 1).Count(c => !c.SubjectDN.Equivalent(c.IssuerDN, true));
        if (pathLength >= 0 && below > pathLength)
        {
            return $"allows at most {pathLength} intermediate CA certificate(s) below it (pathLenConstraint), but the path has {below}";
        }

        return null;
    }

    private static string? LeafProblem(BcCertificate leaf, CertificateValidationOptions options)
    {
        // A certificate that signs in must be allowed to make digital signatures; absent key usage
        // is refused rather than read as "any usage".
        var usage = leaf.GetKeyUsage();
        if (usage is null || !usage[0])
        {
            return "The certificate is not allowed to make digital signatures (no digitalSignature key usage).";
        }

        // RFC 5280 4.2.1.12: when a purpose is required, the certificate must list it.
        if (options.RequiredExtendedKeyUsage is { } required)
        {
            IList<DerObjectIdentifier>? purposes;
            try
            {
                purposes = leaf.GetExtendedKeyUsage();
            }
            catch (Exception e) when (IsBadInput(e))
            {
                return "The certificate's extended key usage extension cannot be read.";
            }

            if (purposes is null)
            {
                return $"The certificate has no extended key usage, but {required} is required.";
            }

            if (!purposes.Any(p => string.Equals(p.Id, required, StringComparison.Ordinal)))
            {
                return $"The certificate's extended key usage does not include {required}, which is required.";
            }
        }

        return null;
    }

    private static string? ValidateWithBouncyCastle(List<BcCertificate> chain, List<BcCertificate> anchors, DateTimeOffset at)
    {
        try
        {
            var parameters = new PkixParameters(new HashSet<TrustAnchor>(anchors.Select(a => new TrustAnchor(a, null))))
            {
                // Revocation is decided afterwards by the IRevocationSource, with its own reasons.
                IsRevocationEnabled = false,
                Date = at.UtcDateTime,
            };
            parameters.AddCertPathChecker(new ExtendedKeyUsageChecker());
            new PkixCertPathValidator().Validate(new PkixCertPath(chain.Take(chain.Count - 1).ToList()), parameters);
            return null;
        }
        catch (PkixCertPathValidatorException e)
        {
            var who = e.Index >= 0 && e.Index < chain.Count ? Who(e.Index, chain.Count) : "the certification path";
            return $"RFC 5280 path validation refused {who}: {e.Message.TrimEnd('.')}.";
        }
        catch (Exception e) when (IsBadInput(e))
        {
            return $"RFC 5280 path validation refused the certification path: {e.Message.TrimEnd('.')}.";
        }
    }

    /// <summary>Signature checks of one validation: each pair is verified once, and a pair of supplied CA certificates once per process.</summary>
    private sealed class Signatures(Dictionary<BcCertificate, X509Certificate2> supplied)
    {
        private readonly List<(BcCertificate Certificate, BcCertificate Issuer, bool Verifies)> _checked = [];

        public bool Verify(BcCertificate certificate, BcCertificate issuer)
        {
            foreach (var done in _checked)
            {
                if (ReferenceEquals(done.Certificate, certificate) && ReferenceEquals(done.Issuer, issuer))
                {
                    return done.Verifies;
                }
            }

            var verifies = supplied.ContainsKey(certificate) && supplied.ContainsKey(issuer)
                ? CaSignatures.GetValue(certificate, _ => new ConcurrentDictionary<BcCertificate, bool>(ReferenceEqualityComparer.Instance))
                    .GetOrAdd(issuer, key => Verifies(certificate, key))
                : Verifies(certificate, issuer);
            _checked.Add((certificate, issuer, verifies));
            return verifies;
        }
    }

    private static bool Verifies(BcCertificate certificate, BcCertificate issuer)
    {
        try
        {
            certificate.Verify(issuer.GetPublicKey());
            return true;
        }
        catch (Exception e) when (IsBadInput(e))
        {
            return false;
        }
    }

    private static bool IsWithinValidity(BcCertificate certificate, DateTimeOffset at) =>
        at >= Utc(certificate.NotBefore) && at <= Utc(certificate.NotAfter);

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));

    private static string Who(int index, int count) => index switch
    {
        0 => "the certificate",
        _ when index == count - 1 => "the trust anchor certificate",
        1 => "the issuing CA certificate",
        _ => $"the intermediate CA certificate {index} levels above the certificate",
    };

    private static string Capital(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    internal static bool IsBadInput(Exception e) =>
        e is GeneralSecurityException or CryptoException or SecurityUtilityException or IOException
            or ArgumentException or InvalidOperationException or InvalidCastException or FormatException
            or ArithmeticException or Asn1Exception;

    /// <summary>Tells BouncyCastle that extended key usage is processed (by <see cref="LeafProblem"/>), so a critical one is not "unsupported".</summary>
    private sealed class ExtendedKeyUsageChecker : PkixCertPathChecker
    {
        public override void Init(bool forward)
        {
        }

        public override bool IsForwardCheckingSupported() => true;

        public override ISet<string> GetSupportedExtensions() => new HashSet<string> { X509Extensions.ExtendedKeyUsage.Id };

        public override void Check(BcCertificate cert, ISet<string> unresolvedCritExts) =>
            unresolvedCritExts?.Remove(X509Extensions.ExtendedKeyUsage.Id);
    }
}
