using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EIdentity.Server.Credentials.Certificates.Revocation;

/// <summary>
/// Refreshes the cached distribution-point CRLs shortly before they go stale, so that a sign-in
/// finds a fresh CRL instead of waiting for a download (tens of megabytes for a national CA).
/// </summary>
internal sealed class CrlRefreshService(CrlDistributionPointFetcher fetcher, TimeProvider time, ILogger<CrlRefreshService> logger) : BackgroundService
{
    /// <summary>How often the cache is looked at; a refresh happens only for CRLs within <see cref="CrlDistributionPointFetcher.RefreshAhead"/> of their nextUpdate.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await NextTickAsync(timer, stoppingToken))
        {
            try
            {
                await fetcher.RefreshDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A bug here must not stop later refreshes; the failure is logged with its stack.
                logger.CrlRefreshCrashed(e);
            }
        }
    }

    // A host that fails to start disposes the timer without cancelling the token: that is a stop too.
    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
