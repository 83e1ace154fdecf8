using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace EIdentity.Benchmarks.Ceremonies;

// Scenarios 6 and 7 of issue 6, in process: the server's own services on its real database.
// Usage: EIdentity.Benchmarks.Ceremonies [--runs 3] [--duration 5] [--warmup 5] [--threads 1,2]
//        [--batch 200] [--scenarios passkey,certificate] [--only <part of a scenario name>] [--out results.md]
// BENCH_POSTGRES: a PostgreSQL connection string; the scenarios then run on PostgreSQL too.
internal static class Bench
{
    public static async Task<int> Main(string[] args)
    {
        var settings = Settings.Parse(args);
        // WebApplicationFactory finds the server's content root through MvcTestingAppManifest.json in the current directory.
        Directory.SetCurrentDirectory(AppContext.BaseDirectory);
        // Standard output carries the table alone; what the server prints (the demo banner) goes to standard error.
        var table = Console.Out;
        Console.SetOut(Console.Error);
        var rows = new List<Row>();
        var checks = new List<string>();
        foreach (var postgres in settings.Databases)
        {
            await using var host = new BenchHost(postgres);
            _ = host.Server;
            var scenarios = new List<Scenario>();
            if (settings.Scenarios.Contains("passkey"))
            {
                scenarios.AddRange([PasskeyScenarios.Verify(host), PasskeyScenarios.Finish(host), PasskeyScenarios.Ceremony(host)]);
            }

            if (settings.Scenarios.Contains("certificate"))
            {
                await CertificateScenarios.WarmAsync(host);
                scenarios.AddRange([CertificateScenarios.Validate(host), CertificateScenarios.SignIn(host)]);
            }

            scenarios = [.. scenarios.Where(s => settings.Only is null || s.Name.Contains(settings.Only, StringComparison.OrdinalIgnoreCase))];

            // A server that has been up a while: every scenario's code is jitted and tiered up before
            // any is measured. The JIT's background thread keeps compiling for 30-50 s after start (EF
            // Core and DI generate code); measured earlier, the first scenario pays for it.
            foreach (var scenario in scenarios)
            {
                var worker = await scenario.CreateWorkerAsync(99, settings.Batch);
                await Measurement.RunAsync([worker], scenario.Timed, settings.Batch, settings.Warmup + TimeSpan.FromSeconds(5));
                await worker.DisposeAsync();
            }

            var revocationRequestsBefore = host.RevocationRequests;
            foreach (var scenario in scenarios)
            {
                foreach (var threads in settings.Threads)
                {
                    var workers = new List<ICeremonyWorker>();
                    for (var i = 0; i < threads; i++)
                    {
                        workers.Add(await scenario.CreateWorkerAsync(i, settings.Batch));
                    }

                    await Measurement.RunAsync(workers, scenario.Timed, settings.Batch, settings.Warmup);
                    var runs = new List<RunResult>();
                    for (var run = 0; run < settings.Runs; run++)
                    {
                        runs.Add(await Measurement.RunAsync(workers, scenario.Timed, settings.Batch, settings.Duration));
                    }

                    foreach (var worker in workers)
                    {
                        await worker.DisposeAsync();
                    }

                    var row = new Row(scenario.Name, host.Database, threads, runs, scenario.Target);
                    rows.Add(row);
                    Console.Error.WriteLine(row.ToMarkdown());
                }
            }

            checks.Add($"{host.Database}: {host.RevocationRequests - revocationRequestsBefore} OCSP/CRL requests during the measured runs (the cache answered every check).");
        }

        var report = Report(settings, rows, checks);
        await table.WriteLineAsync(report);
        if (settings.Out is { } path)
        {
            await File.WriteAllTextAsync(path, report);
        }

        return 0;
    }

    private static string Report(Settings settings, List<Row> rows, List<string> checks)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, server GC.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Runs: {settings.Runs} × {settings.Duration.TotalSeconds:0} s of timed work after {settings.Warmup.TotalSeconds:0} s of warm-up; batches of {settings.Batch} operations per worker; median of runs.");
        text.AppendLine("CPU is the whole process's (Process.TotalProcessorTime) over the timed phases only; the software authenticator's signing runs between them.");
        text.AppendLine();
        text.AppendLine("| Scenario | Database | Workers | Ops per CPU-second | Ops/s (wall) | CPU µs/op | of which kernel | p50 ms | p99 ms | Target (per CPU-s) |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var row in rows)
        {
            text.AppendLine(row.ToMarkdown());
        }

        text.AppendLine();
        foreach (var check in checks)
        {
            text.AppendLine("- " + check);
        }

        return text.ToString();
    }
}

internal sealed record Row(string Scenario, string Database, int Threads, List<RunResult> Runs, double Target)
{
    public string ToMarkdown()
    {
        var perCpu = Median(Runs.Select(r => r.PerCpuSecond));
        var verdict = perCpu >= Target ? "met" : "not met";
        return string.Create(CultureInfo.InvariantCulture,
            $"| {Scenario} | {Database} | {Threads} | {perCpu:N0} | {Median(Runs.Select(r => r.PerWallSecond)):N0} | {1_000_000 / perCpu:N0} | {Median(Runs.Select(r => r.KernelCpu / r.Cpu)):P0} | {Median(Runs.Select(r => r.P50Ms)):0.00} | {Median(Runs.Select(r => r.P99Ms)):0.00} | ≥ {Target:N0}: {verdict} |");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}

internal sealed record Settings(int Runs, TimeSpan Duration, TimeSpan Warmup, int[] Threads, int Batch, string[] Scenarios, string? Out, string?[] Databases, string? Only)
{
    public static Settings Parse(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Number(string name, int fallback) => Value(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
        var postgres = Environment.GetEnvironmentVariable("BENCH_POSTGRES");
        return new Settings(
            Number("--runs", 3),
            TimeSpan.FromSeconds(Number("--duration", 5)),
            TimeSpan.FromSeconds(Number("--warmup", 5)),
            [.. (Value("--threads") ?? "1,2").Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture))],
            Number("--batch", 200),
            (Value("--scenarios") ?? "passkey,certificate").Split(','),
            Value("--out") is { } output ? Path.GetFullPath(output) : null,
            string.IsNullOrWhiteSpace(postgres) ? [null] : [null, postgres],
            Value("--only"));
    }
}
