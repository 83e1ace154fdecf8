using Microsoft.Extensions.Options;

namespace EIdentity.Server.Sessions.BackchannelLogout;

/// <summary>
/// Runs <see cref="BackchannelLogoutSender"/> on every node: at start (rows left by a stopped node),
/// at once when this node ends a session (<see cref="BackchannelLogoutSignal"/>), when the next retry
/// falls due, and otherwise every <see cref="BackchannelLogoutOptions.PollInterval"/>. Each pass
/// first ends the sessions that idled out or expired unused (<see cref="SessionService.SweepAsync"/>),
/// so their portals are told without waiting for the browser to come back.
/// </summary>
internal sealed partial class BackchannelLogoutWorker(
    BackchannelLogoutSender sender,
    IServiceScopeFactory scopes,
    BackchannelLogoutSignal signal,
    TimeProvider time,
    IOptions<BackchannelLogoutOptions> options,
    ILogger<BackchannelLogoutWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = options.Value.PollInterval;
            try
            {
                await using (var scope = scopes.CreateAsyncScope())
                {
                    await scope.ServiceProvider.GetRequiredService<SessionService>().SweepAsync(stoppingToken);
                }

                await sender.SendDueAsync(stoppingToken);
                if (await sender.NextDueAsync(stoppingToken) is { } next && next - time.GetUtcNow() < wait)
                {
                    wait = next - time.GetUtcNow();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The database may be briefly unreachable; nothing is lost, the next pass tries again.
                LogPassFailed(logger, e);
            }

            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await signal.WaitAsync(wait, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(EventId = 4110, Level = LogLevel.Error, Message = "Looking for due back-channel logout deliveries failed; trying again at the next poll.")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
