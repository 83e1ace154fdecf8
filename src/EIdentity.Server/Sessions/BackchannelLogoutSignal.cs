namespace EIdentity.Server.Sessions;

/// <summary>
/// Wakes the back-channel logout sender when new outbox rows were written on this node, so a
/// logout reaches portals within milliseconds rather than at the next poll. Rows written by other
/// nodes are found by the poll.
/// </summary>
internal sealed class BackchannelLogoutSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    public void Dispose() => _signal.Dispose();

    /// <summary>Waits until woken or until <paramref name="timeout"/> elapses on <paramref name="time"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        try
        {
            await _signal.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The poll interval elapsed.
        }
    }
}
