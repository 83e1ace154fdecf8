namespace EIdentity.Benchmarks;

internal sealed record Measurement(Scenario Scenario, ServerUnderTest Server, int Connections, IReadOnlyList<RunResult> Runs)
{
    public double MedianPerSecond => Median(Runs.Select(r => r.PerSecond));

    public double MedianP50Ms => Median(Runs.Select(r => r.P50Ms));

    public double MedianP99Ms => Median(Runs.Select(r => r.P99Ms));

    public double MedianCpuPer1000 => Median(Runs.Select(r => r.CpuSecondsPer1000));

    public double MedianPerServerCpuSecond => Median(Runs.Select(r => r.PerServerCpuSecond));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

internal static class BenchmarkRun
{
    /// <summary>
    /// For each scenario and connection count: each server is warmed up, then the runs alternate
    /// between the servers, so a slow minute on the machine falls on both sides.
    /// </summary>
    public static async Task<IReadOnlyList<Measurement>> ExecuteAsync(BenchmarkSettings settings)
    {
        var measurements = new List<Measurement>();
        var scenarios = Scenarios.All.Where(s => settings.ScenarioIds.Contains(s.Id)).ToList();
        await WarmUpServersAsync(settings, scenarios);
        foreach (var scenario in scenarios)
        {
            foreach (var connections in settings.Connections)
            {
                var clients = settings.Servers.ToDictionary(s => s, _ => LoadGenerator.CreateClient(connections));
                var operations = new Dictionary<ServerUnderTest, Operation>();
                var runs = settings.Servers.ToDictionary(s => s, _ => new List<RunResult>());
                foreach (var server in settings.Servers)
                {
                    operations[server] = await scenario.Prepare(clients[server], server, connections);
                    Console.Error.WriteLine($"{scenario.Id} x{connections} {server.Name}: warm-up {settings.WarmUp.TotalSeconds:0} s");
                    await LoadGenerator.RunAsync(clients[server], operations[server], connections, settings.WarmUp, server.ProcessId, settings.ClockTicksPerSecond);
                }

                for (var run = 1; run <= settings.Runs; run++)
                {
                    foreach (var server in settings.Servers)
                    {
                        var result = await LoadGenerator.RunAsync(clients[server], operations[server], connections, settings.Duration, server.ProcessId, settings.ClockTicksPerSecond);
                        runs[server].Add(result);
                        Console.Error.WriteLine(
                            $"{scenario.Id} x{connections} {server.Name} run {run}: {result.PerSecond:0}/s, p50 {result.P50Ms:0.00} ms, p99 {result.P99Ms:0.00} ms, " +
                            $"{result.CpuSecondsPer1000:0.000} CPU-s/1000, {result.Failed} failed");
                    }
                }

                measurements.AddRange(settings.Servers.Select(s => new Measurement(scenario, s, connections, runs[s])));
                foreach (var client in clients.Values)
                {
                    client.Dispose();
                }
            }
        }

        return measurements;
    }

    /// <summary>
    /// Once per server before anything is measured, every scenario in turn at the highest connection
    /// count. .NET compiles methods again, optimized, after they have run a while (tiered
    /// compilation): after a 5-second warm-up the JIT still took about a quarter of EIdentity's
    /// CPU; after 40 seconds of load, under 1%. Node's JIT settles sooner, so without this phase
    /// the first scenarios measured EIdentity's compiler rather than its steady state.
    /// </summary>
    private static async Task WarmUpServersAsync(BenchmarkSettings settings, List<Scenario> scenarios)
    {
        if (settings.ServerWarmUp <= TimeSpan.Zero || scenarios.Count == 0)
        {
            return;
        }

        var connections = settings.Connections.Max();
        var slice = settings.ServerWarmUp / scenarios.Count;
        foreach (var server in settings.Servers)
        {
            Console.Error.WriteLine($"{server.Name}: server warm-up, {settings.ServerWarmUp.TotalSeconds:0} s over {scenarios.Count} scenario(s)");
            foreach (var scenario in scenarios)
            {
                using var client = LoadGenerator.CreateClient(connections);
                var operation = await scenario.Prepare(client, server, connections);
                await LoadGenerator.RunAsync(client, operation, connections, slice, server.ProcessId, settings.ClockTicksPerSecond);
            }
        }
    }
}
