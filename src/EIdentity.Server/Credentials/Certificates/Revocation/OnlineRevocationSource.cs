using Microsoft.Extensions.Logging;
using Org.BouncyCastle.X509;

namespace EIdentity.Server.Credentials.Certificates.Revocation;

/// <summary>
/// Revocation status from OCSP and CRLs, asked in the order the issuing CA's policy says: the
/// first source that decides good or revoked wins. When none decides, a fail-closed CA's
/// certificate has an unknown status (and is refused) with every source's reason; a fail-open
/// CA's certificate is good, with a note saying that revocation was not checked and why.
/// </summary>
/// <remarks>
/// CRLs the operator supplies locally count as a CRL source and are asked before the distribution
/// point, since they cost no network round trip.
/// </remarks>
internal sealed class OnlineRevocationSource : IRevocationSource
{
    private readonly Func<X509Certificate, RevocationPolicyOptions> _policyFor;
    private readonly OcspClient _ocsp;
    private readonly OcspCache _ocspCache;
    private readonly CrlDistributionPointFetcher _crls;
    private readonly CrlRevocationSource? _suppliedCrls;
    private readonly ILogger<OnlineRevocationSource> _logger;

    /// <param name="policyFor">The revocation policy of the CA whose certificate is given (the issuer of the certificate checked).</param>
    /// <param name="suppliedCrls">CRLs (DER) the operator supplies; none when <see langword="null"/>.</param>
    public OnlineRevocationSource(
        Func<X509Certificate, RevocationPolicyOptions> policyFor,
        OcspClient ocsp,
        OcspCache ocspCache,
        CrlDistributionPointFetcher crls,
        ILogger<OnlineRevocationSource> logger,
        IEnumerable<byte[]>? suppliedCrls = null)
    {
        ArgumentNullException.ThrowIfNull(policyFor);
        ArgumentNullException.ThrowIfNull(ocsp);
        ArgumentNullException.ThrowIfNull(ocspCache);
        ArgumentNullException.ThrowIfNull(crls);
        ArgumentNullException.ThrowIfNull(logger);
        _policyFor = policyFor;
        _ocsp = ocsp;
        _ocspCache = ocspCache;
        _crls = crls;
        _logger = logger;
        _suppliedCrls = suppliedCrls?.ToList() is { Count: > 0 } list ? new CrlRevocationSource(list) : null;
    }

    public async ValueTask<RevocationCheck> CheckAsync(X509Certificate certificate, X509Certificate issuer, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(issuer);
        var policy = _policyFor(issuer);
        var problems = new List<string>(2);
        foreach (var useOcsp in Steps(policy.Order))
        {
            var check = useOcsp
                ? await CheckOcspAsync(certificate, issuer, at, cancellationToken)
                : await CheckCrlAsync(certificate, issuer, at, cancellationToken);
            if (check.Status != RevocationStatus.Unknown || check.IsConclusive)
            {
                return check;
            }

            problems.Add($"{(useOcsp ? "OCSP" : "CRL")}: {check.Problem}");
        }

        var reasons = string.Join("; ", problems);
        if (policy.FailureMode == RevocationFailureMode.FailOpen)
        {
            _logger.FailedOpen(RevocationIds.Serial(certificate), RevocationIds.IssuerKeyId(issuer), reasons);
            return new RevocationCheck(RevocationStatus.Good, Note: $"revocation was not checked ({reasons}), and its CA's policy is fail-open");
        }

        return RevocationCheck.Unknown(reasons);
    }

    /// <returns>For each source in order, whether it is OCSP (else CRL).</returns>
    private static bool[] Steps(RevocationSourceOrder order) => order switch
    {
        RevocationSourceOrder.OcspThenCrl => [true, false],
        RevocationSourceOrder.CrlThenOcsp => [false, true],
        RevocationSourceOrder.OcspOnly => [true],
        RevocationSourceOrder.CrlOnly => [false],
        _ => throw new ArgumentOutOfRangeException(nameof(order), order, "Unknown revocation source order."),
    };

    private async Task<RevocationCheck> CheckOcspAsync(X509Certificate certificate, X509Certificate issuer, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (_ocspCache.Find(issuer, certificate.SerialNumber, at) is { } cached)
        {
            return cached;
        }

        var answer = await _ocsp.QueryAsync(certificate, issuer, at, cancellationToken);
        _ocspCache.Store(issuer, certificate.SerialNumber, answer);
        return answer.Check;
    }

    private async Task<RevocationCheck> CheckCrlAsync(X509Certificate certificate, X509Certificate issuer, DateTimeOffset at, CancellationToken cancellationToken)
    {
        string? suppliedProblem = null;
        if (_suppliedCrls is not null)
        {
            var supplied = _suppliedCrls.Check(certificate, issuer, at);
            if (supplied.Status != RevocationStatus.Unknown)
            {
                return supplied with { Source = "supplied CRL" };
            }

            suppliedProblem = supplied.Problem;
        }

        var fetched = await _crls.CheckAsync(certificate, issuer, at, cancellationToken);
        return fetched.Status == RevocationStatus.Unknown && suppliedProblem is not null
            ? RevocationCheck.Unknown($"{suppliedProblem}, and {fetched.Problem}")
            : fetched;
    }
}
