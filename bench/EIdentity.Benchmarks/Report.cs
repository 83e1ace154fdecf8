using System.Globalization;
using System.Text;

namespace EIdentity.Benchmarks;

internal static class Report
{
    public static string Markdown(BenchmarkSettings settings, IReadOnlyList<Measurement> measurements, IReadOnlyList<(string Name, double PerSecond)> ceilings)
    {
        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');
        string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

        Line($"Warm-up {settings.WarmUp.TotalSeconds:0} s, {settings.Runs} runs of {settings.Duration.TotalSeconds:0} s per server, scenario and connection count; medians of the runs.");
        Line("");
        Line("| Scenario | Conns | Server | Ops/s | p50 ms | p99 ms | Server CPU-s / 1,000 ops | Ops per server CPU-s | Failed |");
        Line("|---|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var m in measurements)
        {
            Line($"| {m.Scenario.Title} | {m.Connections} | {m.Server.Name} | {F(m.MedianPerSecond, "N0")} | {F(m.MedianP50Ms, "0.00")} | {F(m.MedianP99Ms, "0.00")} | " +
                 $"{F(m.MedianCpuPer1000, "0.000")} | {F(m.MedianPerServerCpuSecond, "N0")} | {m.Runs.Sum(r => r.Failed)} |");
        }

        Line("");
        Line("| Scenario | Conns | EIdentity ÷ oidc-provider, ops per server CPU-s | p99 at this load: EIdentity / oidc-provider |");
        Line("|---|---:|---:|---|");
        foreach (var group in measurements.GroupBy(m => (m.Scenario, m.Connections)))
        {
            var ours = group.First(m => m.Server.Name == "EIdentity");
            var theirs = group.First(m => m.Server.Name != "EIdentity");
            Line($"| {group.Key.Scenario.Title} | {group.Key.Connections} | {F(ours.MedianPerServerCpuSecond / theirs.MedianPerServerCpuSecond, "0.00")}× | " +
                 $"{F(ours.MedianP99Ms, "0.00")} ms / {F(theirs.MedianP99Ms, "0.00")} ms |");
        }

        Line("");
        Line("Cryptography on one core of this machine (.NET, single thread, 2 s each):");
        Line("");
        Line("| Operation | Per second |");
        Line("|---|---:|");
        foreach (var (name, perSecond) in ceilings)
        {
            Line($"| {name} | {F(perSecond, "N0")} |");
        }

        return text.ToString();
    }
}
