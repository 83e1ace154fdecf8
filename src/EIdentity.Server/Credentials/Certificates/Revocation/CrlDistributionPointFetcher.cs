using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Org.BouncyCastle.X509;

namespace EIdentity.Server.Credentials.Certificates.Revocation;

/// <summary>
/// Revocation status from the CRL a certificate's distribution point publishes (RFC 5280
/// 4.2.1.13). A downloaded CRL is checked like a supplied one (<see cref="CrlRevocationSource.Unusable"/>)
/// and cached per URL until its nextUpdate; <see cref="RefreshDueAsync"/> (called by
/// <see cref="CrlRefreshService"/>) fetches the next one ahead of time so sign-ins do not wait.
/// </summary>
internal sealed class CrlDistributionPointFetcher
{
    /// <summary>Distribution points remembered at most: one or two per CA, so this is generous.</summary>
    public const int Capacity = 256;

    private readonly ConcurrentDictionary<Uri, CachedCrl> _cache = new();
    private readonly ConcurrentDictionary<Uri, Task<(X509Crl? Crl, string? Problem)>> _downloading = new();
    private readonly HttpClient _http;
    private readonly IOptions<CertificateOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<CrlDistributionPointFetcher> _logger;

    public CrlDistributionPointFetcher(HttpClient http, IOptions<CertificateOptions> options, TimeProvider time, ILogger<CrlDistributionPointFetcher> logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _http = http;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>How long before its nextUpdate a cached CRL is fetched again.</summary>
    public TimeSpan RefreshAhead { get; init; } = TimeSpan.FromMinutes(15);

    public int CachedCount => _cache.Count;

    public async Task<RevocationCheck> CheckAsync(X509Certificate certificate, X509Certificate issuer, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(issuer);
        var urls = RevocationUrls.Crls(certificate);
        if (urls.Count == 0)
        {
            return RevocationCheck.Unknown("the certificate names no http CRL distribution point");
        }

        string? problem = null;
        foreach (var url in urls)
        {
            var (crl, why) = await UsableCrlAsync(url, certificate, issuer, at, cancellationToken);
            if (crl is null)
            {
                problem ??= why;
                continue;
            }

            // RFC 5280 6.3.3 (i): a usable CRL that lists the serial number decides "revoked".
            return crl.GetRevokedCertificate(certificate.SerialNumber) is { } entry
                ? new RevocationCheck(RevocationStatus.Revoked, new DateTimeOffset(DateTime.SpecifyKind(entry.RevocationDate, DateTimeKind.Utc)), CrlRevocationSource.ReasonOf(entry), Source: "CRL")
                : new RevocationCheck(RevocationStatus.Good, Source: "CRL");
        }

        _logger.CrlFailed(RevocationIds.Serial(certificate), RevocationIds.IssuerKeyId(issuer), problem!);
        return RevocationCheck.Unknown(problem!);
    }

    /// <summary>
    /// Fetches again every cached CRL whose nextUpdate is less than <see cref="RefreshAhead"/> away.
    /// A new CRL replaces the cached one only when it is usable; otherwise the cached one stays,
    /// and stops being used at its nextUpdate.
    /// </summary>
    /// <returns>How many CRLs were replaced.</returns>
    public async Task<int> RefreshDueAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var replaced = 0;
        foreach (var (url, cached) in _cache.Where(e => e.Value.NextUpdate - RefreshAhead <= now).ToList())
        {
            var (crl, problem) = await DownloadAsync(url, cancellationToken);
            if (crl is not null && crl.IssuerDN.Equivalent(cached.Issuer.SubjectDN, true))
            {
                problem = CrlRevocationSource.Unusable(crl, cached.Issuer, now);
            }
            else if (crl is not null)
            {
                problem = $"the CRL at {url} is now from another issuer";
            }

            if (crl is null || problem is not null)
            {
                _logger.CrlRefreshFailed(url.ToString(), cached.NextUpdate, problem!);
                continue;
            }

            if (Remember(url, crl, cached.Issuer))
            {
                replaced++;
            }
        }

        return replaced;
    }

    private async Task<(X509Crl? Crl, string? Problem)> UsableCrlAsync(Uri url, X509Certificate certificate, X509Certificate issuer, DateTimeOffset at, CancellationToken cancellationToken)
    {
        // A cached CRL past its nextUpdate is never used, whatever time is asked.
        if (_cache.TryGetValue(url, out var cached)
            && _time.GetUtcNow() < cached.NextUpdate
            && cached.Crl.IssuerDN.Equivalent(certificate.IssuerDN, true)
            && CrlRevocationSource.Unusable(cached.Crl, issuer, at) is null)
        {
            return (cached.Crl, null);
        }

        var (crl, problem) = await DownloadAsync(url, cancellationToken);
        if (crl is null)
        {
            return (null, problem);
        }

        if (!crl.IssuerDN.Equivalent(certificate.IssuerDN, true))
        {
            return (null, $"the CRL at {url} is issued by another CA than the certificate's");
        }

        if (CrlRevocationSource.Unusable(crl, issuer, at) is { } why)
        {
            return (null, $"{why} (downloaded from {url})");
        }

        Remember(url, crl, issuer);
        return (crl, null);
    }

    /// <summary>One download per URL at a time: concurrent sign-ins share it, and no caller's cancellation ends it for the others.</summary>
    private async Task<(X509Crl? Crl, string? Problem)> DownloadAsync(Uri url, CancellationToken cancellationToken)
    {
        var download = _downloading.GetOrAdd(url, u => FetchAsync(u));
        try
        {
            return await download.WaitAsync(cancellationToken);
        }
        finally
        {
            if (download.IsCompleted)
            {
                _downloading.TryRemove(KeyValuePair.Create(url, download));
            }
        }
    }

    private async Task<(X509Crl? Crl, string? Problem)> FetchAsync(Uri url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        var options = _options.Value;
        var (body, problem) = await RevocationHttp.SendAsync(_http, request, "the CRL server", options.MaxCrlBytes, options.FetchTimeout, CancellationToken.None);
        if (body is null)
        {
            return (null, problem);
        }

        try
        {
            return new X509CrlParser().ReadCrl(body) is { } crl
                ? (crl, null)
                : (null, $"the CRL server at {url} sent an empty answer");
        }
        catch (Exception e) when (e is Org.BouncyCastle.Security.Certificates.CrlException || CertificatePathValidator.IsBadInput(e))
        {
            return (null, $"the CRL server at {url} sent something that is not a CRL");
        }
    }

    /// <returns>Whether the CRL was kept: it must have a nextUpdate still ahead and be no older than the cached one.</returns>
    private bool Remember(Uri url, X509Crl crl, X509Certificate issuer)
    {
        if (crl.NextUpdate is not { } next)
        {
            return false;
        }

        var nextUpdate = new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc));
        if (nextUpdate <= _time.GetUtcNow()
            || (_cache.TryGetValue(url, out var cached) && crl.ThisUpdate < cached.Crl.ThisUpdate))
        {
            return false;
        }

        if (!_cache.ContainsKey(url) && _cache.Count >= Capacity
            && _cache.MinBy(e => e.Value.NextUpdate) is { Key: { } soonest })
        {
            _cache.TryRemove(soonest, out _);
        }

        _cache[url] = new CachedCrl(crl, issuer, nextUpdate);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.CrlCached(url.ToString(), RevocationIds.IssuerKeyId(issuer), nextUpdate);
        }

        return true;
    }

    private sealed record CachedCrl(X509Crl Crl, X509Certificate Issuer, DateTimeOffset NextUpdate);
}
