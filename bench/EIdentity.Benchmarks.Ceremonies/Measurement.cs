using System.Diagnostics;

namespace EIdentity.Benchmarks.Ceremonies;

/// <summary>
/// One bench worker: a citizen (or certificate holder) of its own, going through the scenario's
/// phases once per slot of a batch. Phases the scenario does not time are the other side's work
/// (the authenticator signing) or preparation; they run between the timed phases, never during one.
/// </summary>
internal interface ICeremonyWorker : IAsyncDisposable
{
    ValueTask RunPhaseAsync(int phase, int slot);
}

/// <param name="Name">Shown in the table, e.g. "6. passkey assertion: verify".</param>
/// <param name="Timed">For each phase of an operation, whether its CPU and time count.</param>
/// <param name="Target">Operations per CPU-second the issue asks for.</param>
internal sealed record Scenario(string Name, bool[] Timed, double Target, Func<int, int, Task<ICeremonyWorker>> CreateWorkerAsync);

/// <param name="KernelCpu">The part of <paramref name="Cpu"/> spent in the kernel (system calls: file and socket I/O, fsync).</param>
internal sealed record RunResult(long Operations, TimeSpan Cpu, TimeSpan KernelCpu, TimeSpan Wall, double P50Ms, double P99Ms)
{
    public double PerCpuSecond => Operations / Cpu.TotalSeconds;

    public double PerWallSecond => Operations / Wall.TotalSeconds;
}

internal static class Measurement
{
    /// <summary>
    /// Runs batches until the timed phases have taken <paramref name="duration"/> of wall-clock time.
    /// CPU is the whole process's (every thread, the GC and the JIT included), read around each
    /// timed phase, so it counts what a server process would spend on the timed work.
    /// </summary>
    public static async Task<RunResult> RunAsync(IReadOnlyList<ICeremonyWorker> workers, bool[] timed, int batch, TimeSpan duration)
    {
        var cpu = TimeSpan.Zero;
        var kernel = TimeSpan.Zero;
        var wall = TimeSpan.Zero;
        long operations = 0;
        var latencies = new List<double>();
        var perOperation = workers.Select(_ => new long[batch]).ToArray();
        while (wall < duration)
        {
            foreach (var ticks in perOperation)
            {
                Array.Clear(ticks);
            }

            for (var phase = 0; phase < timed.Length; phase++)
            {
                var counted = timed[phase];
                var (cpuBefore, kernelBefore) = ProcessCpu();
                var started = Stopwatch.GetTimestamp();
                var current = phase;
                await Task.WhenAll(workers.Select((worker, index) => Task.Run(async () =>
                {
                    var ticks = perOperation[index];
                    for (var slot = 0; slot < batch; slot++)
                    {
                        var before = Stopwatch.GetTimestamp();
                        await worker.RunPhaseAsync(current, slot);
                        if (counted)
                        {
                            ticks[slot] += Stopwatch.GetTimestamp() - before;
                        }
                    }
                })));
                if (counted)
                {
                    wall += Stopwatch.GetElapsedTime(started);
                    var (cpuAfter, kernelAfter) = ProcessCpu();
                    cpu += cpuAfter - cpuBefore;
                    kernel += kernelAfter - kernelBefore;
                }
            }

            operations += (long)batch * workers.Count;
            foreach (var ticks in perOperation)
            {
                latencies.AddRange(ticks.Select(t => t * 1000.0 / Stopwatch.Frequency));
            }
        }

        latencies.Sort();
        return new RunResult(operations, cpu, kernel, wall, Percentile(latencies, 0.50), Percentile(latencies, 0.99));
    }

    private static (TimeSpan Total, TimeSpan Kernel) ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return (process.TotalProcessorTime, process.PrivilegedProcessorTime);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
