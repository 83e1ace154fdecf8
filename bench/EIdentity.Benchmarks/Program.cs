using EIdentity.Benchmarks;

// Started by bench/run.sh, which builds and starts both servers; run `bash bench/run.sh`, not this.
var settings = BenchmarkSettings.Parse(args);
if (settings is null)
{
    Console.Error.WriteLine(BenchmarkSettings.Usage);
    return 2;
}

var results = await BenchmarkRun.ExecuteAsync(settings);
var report = Report.Markdown(settings, results, CryptoCeilings.Measure(TimeSpan.FromSeconds(2)));
Console.WriteLine(report);
if (settings.OutputPath is not null)
{
    await File.WriteAllTextAsync(settings.OutputPath, report);
}

return results.Any(r => r.Runs.Any(run => run.Failed > 0)) ? 1 : 0;
