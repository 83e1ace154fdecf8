using System.Diagnostics;

namespace EIdentity.Benchmarks;

internal sealed record RunResult(int Completed, int Failed, double Seconds, double ServerCpuSeconds, double P50Ms, double P99Ms)
{
    public double PerSecond => Completed / Seconds;

    public double CpuSecondsPer1000 => Completed == 0 ? double.NaN : ServerCpuSeconds / Completed * 1000;

    /// <summary>Operations per second of server CPU: the number that does not depend on the machine's other load.</summary>
    public double PerServerCpuSecond => ServerCpuSeconds == 0 ? double.NaN : Completed / ServerCpuSeconds;
}

/// <summary>
/// Closed-loop load: N workers, each with its own connection, repeat an operation back to back for
/// a fixed time. The server's CPU time is read before and after; latencies are kept per worker
/// (no locks on the hot path) and merged at the end.
/// </summary>
internal static class LoadGenerator
{
    public static HttpClient CreateClient(int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        UseCookies = false,
        AllowAutoRedirect = false,
        UseProxy = false,
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public static async Task<RunResult> RunAsync(HttpClient http, Operation operation, int workers, TimeSpan duration, int serverPid, int clockTicks)
    {
        var latencies = new List<long>[workers];
        var failures = new int[workers];
        using var stop = new CancellationTokenSource();

        var cpuBefore = ProcessCpu.Seconds(serverPid, clockTicks);
        var clock = Stopwatch.StartNew();
        stop.CancelAfter(duration);
        var tasks = Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            var mine = latencies[worker] = new List<long>(capacity: 65_536);
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await operation(http, worker, CancellationToken.None);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
                {
                    ok = false;
                }

                if (ok)
                {
                    mine.Add(Stopwatch.GetTimestamp() - started);
                }
                else
                {
                    failures[worker]++;
                }
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpuAfter = ProcessCpu.Seconds(serverPid, clockTicks);

        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new RunResult(all.Length, failures.Sum(), elapsed, cpuAfter - cpuBefore, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    private static double Percentile(long[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var index = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }
}
