namespace EIdentity.Tests.Cli;

/// <summary>An operator rotates the token signing keys from a node's command line.</summary>
public sealed class KeyCommandTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    [Fact]
    public async Task Rotate_publishes_new_keys_that_sign_later_and_list_shows_each_state()
    {
        var first = await RunAsync("keys", "list");
        var rotate = await RunAsync("keys", "rotate", "--publish-for", "02:00:00", "--officer", "can-bo-07");
        var list = await RunAsync("keys", "list");

        Assert.True(rotate.ExitCode == 0, rotate.ToString());
        Assert.Contains("New ES256 key es256-", rotate.Output, StringComparison.Ordinal);
        Assert.Contains("New RS256 key rs256-", rotate.Output, StringComparison.Ordinal);
        Assert.Contains("nothing needs restarting", rotate.Output, StringComparison.Ordinal);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Equal(2, Lines(first.Output, " signing "));
        Assert.Equal(2, Lines(list.Output, " published "));
        Assert.Equal(2, Lines(list.Output, " signing "));
        Assert.Equal(0, Lines(list.Output, " retired "));
    }

    [Fact]
    public async Task Rotate_refuses_a_bad_duration_and_retire_now_with_a_publication_time()
    {
        var bad = await RunAsync("keys", "rotate", "--publish-for", "soon");
        var both = await RunAsync("keys", "rotate", "--retire-now", "--publish-for", "01:00:00");

        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--publish-for must be a duration", bad.Error, StringComparison.Ordinal);
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("--retire-now signs with the new keys at once", both.Error, StringComparison.Ordinal);
    }

    private static int Lines(string output, string state) =>
        output.Split('\n').Count(line => line.Contains(state, StringComparison.Ordinal));

    private Task<CommandRun> RunAsync(params string[] args) => ServerCommandTests.RunServerAsync(database.Directory, migrateOnStartup: false, args);
}
