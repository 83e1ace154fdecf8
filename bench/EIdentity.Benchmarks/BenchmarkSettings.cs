using System.Globalization;

namespace EIdentity.Benchmarks;

internal sealed record BenchmarkSettings(
    IReadOnlyList<ServerUnderTest> Servers,
    IReadOnlyList<int> Connections,
    TimeSpan ServerWarmUp,
    TimeSpan WarmUp,
    TimeSpan Duration,
    int Runs,
    int ClockTicksPerSecond,
    IReadOnlyList<string> ScenarioIds,
    string Mode,
    string? OutputPath)
{
    public const string Usage = """
        usage: EIdentity.Benchmarks --ours <origin> --ours-pid <pid> --theirs <origin> --theirs-pid <pid>
                                    --client-id <id> --client-secret <secret> --redirect-uri <uri>
                                    --activation-code <code> --mode <text>
                                    --ours-storage <text> --theirs-storage <text>
                                    --theirs-jwt-resource <uri> --theirs-opaque-resource <uri> --theirs-rs256-resource <uri>
                                    --ours-rs256-client-id <id> --ours-rs256-client-secret <secret>
                                    [--server-warmup 60] [--connections 2,16] [--warmup 5] [--duration 10] [--runs 3]
                                    [--clock-ticks 100] [--scenarios client-credentials,code-flow,refresh,introspection,discovery-jwks]
                                    [--out <file.md>]
        Both servers have a confidential client with this id, secret (client_secret_basic) and
        redirect URI; the activation code is the bench citizen's on EIdentity.
        """;

    public static BenchmarkSettings? Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                return null;
            }

            values[args[i][2..]] = args[i + 1];
        }

        string? Get(string key) => values.GetValueOrDefault(key);
        int Int(string key, int fallback) => Get(key) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

        if (Get("ours") is not { } ours || Get("theirs") is not { } theirs
            || Get("client-id") is not { } clientId || Get("client-secret") is not { } secret
            || Get("redirect-uri") is not { } redirectUri || Get("activation-code") is not { } activationCode)
        {
            return null;
        }

        var servers = new List<ServerUnderTest>
        {
            new("EIdentity", new Uri(ours.TrimEnd('/') + "/"), Int("ours-pid", 0), clientId, secret, redirectUri)
            {
                Storage = Get("ours-storage") ?? "",
                ActivationCode = activationCode,
                Rs256ClientId = Get("ours-rs256-client-id"),
                Rs256ClientSecret = Get("ours-rs256-client-secret"),
            },
            new("oidc-provider", new Uri(theirs.TrimEnd('/') + "/"), Int("theirs-pid", 0), clientId, secret, redirectUri)
            {
                Storage = Get("theirs-storage") ?? "",
                OfflineAccessPrompt = "consent",
                JwtResource = Get("theirs-jwt-resource"),
                IntrospectableResource = Get("theirs-opaque-resource"),
                Rs256Resource = Get("theirs-rs256-resource"),
            },
        };
        if (servers.Any(s => s.ProcessId <= 0))
        {
            return null;
        }

        return new BenchmarkSettings(
            servers,
            [.. (Get("connections") ?? "2,16").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))],
            TimeSpan.FromSeconds(Int("server-warmup", 60)),
            TimeSpan.FromSeconds(Int("warmup", 5)),
            TimeSpan.FromSeconds(Int("duration", 10)),
            Int("runs", 3),
            Int("clock-ticks", 100),
            [.. (Get("scenarios") ?? string.Join(',', Scenarios.All.Select(s => s.Id))).Split(',')],
            Get("mode") ?? "",
            Get("out"));
    }
}
