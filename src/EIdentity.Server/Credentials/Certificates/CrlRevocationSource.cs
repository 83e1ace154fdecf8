using System.Globalization;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Security.Certificates;
using Org.BouncyCastle.X509;

namespace EIdentity.Server.Credentials.Certificates;

/// <summary>
/// Revocation status from CRLs the caller supplies (DER). Nothing is fetched: a certificate whose
/// issuer has no usable CRL in the list has an unknown status.
/// </summary>
internal sealed class CrlRevocationSource : IRevocationSource
{
    // RFC 5280 5.3.1 CRLReason, by value (7 is not used).
    private static readonly string[] ReasonNames =
    [
        "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
        "cessationOfOperation", "certificateHold", "reason 7", "removeFromCRL", "privilegeWithdrawn", "aACompromise",
    ];

    private readonly List<X509Crl> _crls = [];

    public CrlRevocationSource(IEnumerable<byte[]> crls)
    {
        ArgumentNullException.ThrowIfNull(crls);
        var parser = new X509CrlParser();
        foreach (var der in crls)
        {
            try
            {
                if (parser.ReadCrl(der) is { } crl)
                {
                    _crls.Add(crl);
                }
                else
                {
                    Unreadable++;
                }
            }
            catch (Exception e) when (e is IOException or CrlException or ArgumentException or InvalidOperationException or InvalidCastException or Asn1Exception)
            {
                Unreadable++;
            }
        }
    }

    /// <summary>How many of the supplied CRLs could not be parsed (and so decide nothing).</summary>
    public int Unreadable { get; }

    public ValueTask<RevocationCheck> CheckAsync(X509Certificate certificate, X509Certificate issuer, DateTimeOffset at, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Check(certificate, issuer, at));

    public RevocationCheck Check(X509Certificate certificate, X509Certificate issuer, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(issuer);
        var fromIssuer = _crls.Where(c => c.IssuerDN.Equivalent(certificate.IssuerDN, inOrder: true))
            .OrderByDescending(c => c.ThisUpdate).ToList();
        if (fromIssuer.Count == 0)
        {
            return RevocationCheck.Unknown(Unreadable == 0
                ? "no CRL from its issuer was supplied"
                : $"no CRL from its issuer was supplied ({Unreadable} supplied CRL(s) could not be read)");
        }

        string? problem = null;
        foreach (var crl in fromIssuer)
        {
            if (Unusable(crl, issuer, at) is { } why)
            {
                problem ??= why;
                continue;
            }

            // RFC 5280 6.3.3 (i): a usable CRL that lists the serial number decides "revoked".
            if (crl.GetRevokedCertificate(certificate.SerialNumber) is { } entry)
            {
                return new RevocationCheck(RevocationStatus.Revoked, new DateTimeOffset(DateTime.SpecifyKind(entry.RevocationDate, DateTimeKind.Utc)), ReasonOf(entry));
            }

            return RevocationCheck.Good;
        }

        return RevocationCheck.Unknown(problem!);
    }

    /// <returns>Why this CRL cannot decide anything at <paramref name="at"/>, or <see langword="null"/> when it can.</returns>
    internal static string? Unusable(X509Crl crl, X509Certificate issuer, DateTimeOffset at)
    {
        // RFC 5280 6.3.3 (f): the CRL issuer's key must be allowed to sign CRLs.
        if (issuer.GetKeyUsage() is { } usage && !usage[6])
        {
            return "its issuer's certificate is not allowed to sign CRLs (no cRLSign)";
        }

        // RFC 5280 6.3.3 (g): the CRL's signature must verify with the issuer's public key.
        try
        {
            crl.Verify(issuer.GetPublicKey());
        }
        catch (Exception e) when (e is GeneralSecurityException or Org.BouncyCastle.Crypto.CryptoException or ArgumentException or InvalidOperationException or SecurityUtilityException)
        {
            return "the CRL from its issuer has a signature that does not verify with the issuer's public key";
        }

        // RFC 5280 5.2: a CRL with a critical extension we do not process (e.g. an issuing
        // distribution point that narrows its scope, or a delta CRL indicator) must not be used.
        if (crl.GetCriticalExtensionOids() is { Count: > 0 })
        {
            return "the CRL from its issuer has a critical extension this validator does not process";
        }

        // RFC 5280 5.1.2.4-5: the CRL speaks for thisUpdate <= t < nextUpdate.
        var thisUpdate = new DateTimeOffset(DateTime.SpecifyKind(crl.ThisUpdate, DateTimeKind.Utc));
        if (thisUpdate > at)
        {
            return $"the CRL from its issuer is stale for this time (it was issued later, on {Day(thisUpdate)})";
        }

        if (crl.NextUpdate is not { } next)
        {
            return "the CRL from its issuer is stale (it has no next update time, so its freshness cannot be judged)";
        }

        var nextUpdate = new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc));
        return at >= nextUpdate ? $"the CRL from its issuer is stale (its next update was due on {Day(nextUpdate)})" : null;
    }

    internal static string? ReasonOf(X509CrlEntry entry)
    {
        try
        {
            return entry.GetExtensionValue(X509Extensions.ReasonCode) is { } value
                && Asn1Object.FromByteArray(value.GetOctets()) is DerEnumerated code
                ? ReasonName(code.IntValueExact)
                : null;
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or ArithmeticException)
        {
            return null;
        }
    }

    /// <returns>The RFC 5280 5.3.1 name of a CRLReason code (OCSP uses the same codes), or <see langword="null"/> for an unknown code.</returns>
    internal static string? ReasonName(int code) => code >= 0 && code < ReasonNames.Length ? ReasonNames[code] : null;

    internal static string Day(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
