using System.Net;
using EIdentity.Tests.Admin;
using EIdentity.Tests.Infrastructure;
using EIdentity.Tests.Oidc;
using static EIdentity.Tests.SignIn.SignInSteps;

namespace EIdentity.Tests.Cli;

/// <summary>
/// A security officer suspends and reinstates an identity from a server node's command line,
/// while the server (in process, on the same database) is serving the citizen.
/// </summary>
public sealed class IdentityStatusCommandTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    [Fact]
    public async Task Help_lists_suspend_and_reinstate()
    {
        var help = await RunAsync("help");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("identity suspend --national-id <12 digits> [--reason \"<text>\"] [--officer <name>]", help.Output, StringComparison.Ordinal);
        Assert.Contains("identity reinstate --national-id <12 digits>", help.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Suspending_on_the_command_line_signs_the_citizen_out_everywhere_and_reinstating_revives_nothing()
    {
        await using var server = new EIdentityServerFactory(overrides: new() { ["Database:DataDirectory"] = database.Directory });
        using var citizen = await OidcTestKit.SignedInCitizenAsync(server);
        var tokens = await OidcTestKit.CodeFlowAsync(server, citizen.Citizen, TestPortals.PortalA, "openid offline_access");
        using var portal = new PortalBackChannel(server, TestPortals.PortalA);

        var suspend = await RunAsync("identity", "suspend", "--national-id", citizen.NationalId, "--reason", "Court order", "--officer", "can-bo-02");
        var again = await RunAsync("identity", "suspend", "--national-id", citizen.NationalId);

        Assert.True(suspend.ExitCode == 0, suspend.ToString());
        Assert.Contains($"Identity {citizen.PersonId} suspended: 1 session(s) ended, 1 grant(s) revoked", suspend.Output, StringComparison.Ordinal);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("was already suspended", again.Output, StringComparison.Ordinal);
        Assert.Null(await SignedInNameAsync(citizen.Browser));
        Assert.Equal("invalid_grant", (await portal.RefreshAsync(tokens.RefreshToken)).Error);
        Assert.False(await AdminKit.IsActiveAsync(server, TestPortals.PortalA, tokens.AccessToken));

        var reinstate = await RunAsync("identity", "reinstate", "--national-id", citizen.NationalId, "--officer", "can-bo-02");
        var reinstateAgain = await RunAsync("identity", "reinstate", "--national-id", citizen.NationalId);

        Assert.True(reinstate.ExitCode == 0, reinstate.ToString());
        Assert.Contains("reinstated", reinstate.Output, StringComparison.Ordinal);
        Assert.Contains("is not suspended; nothing changed", reinstateAgain.Output, StringComparison.Ordinal);
        Assert.Equal("invalid_grant", (await portal.RefreshAsync(tokens.RefreshToken)).Error);
        Assert.Null(await SignedInNameAsync(citizen.Browser));
        await Expect.Status(HttpStatusCode.OK, await citizen.Citizen.SignInAsync());
        Assert.Equal(citizen.Name, await SignedInNameAsync(citizen.Browser));

        var audit = await AdminKit.AuditAsync(server, citizen.PersonId);
        Assert.Contains(audit, e => e is { Type: "identity.suspended", Actor: "cli:can-bo-02" } && e.Detail!.EndsWith("reason=Court order", StringComparison.Ordinal));
        Assert.Contains(audit, e => e is { Type: "identity.reinstated", Actor: "cli:can-bo-02" });
        foreach (var run in new[] { suspend, again, reinstate, reinstateAgain })
        {
            Assert.DoesNotContain(citizen.NationalId, run.Output + run.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Unknown_or_malformed_national_id_fails_with_a_readable_error()
    {
        var nationalId = NewNationalId();

        var unknown = await RunAsync("identity", "suspend", "--national-id", nationalId);
        var malformed = await RunAsync("identity", "reinstate", "--national-id", "12345");
        var missing = await RunAsync("identity", "suspend");

        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Contains("error: no identity has this national ID number.", unknown.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(nationalId, unknown.Output + unknown.Error, StringComparison.Ordinal);
        Assert.True(malformed.ExitCode == 2, malformed.ToString());
        Assert.Contains("--national-id must be a national ID number (CCCD) of exactly 12 digits", malformed.Error, StringComparison.Ordinal);
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("--national-id is required", missing.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", unknown.Error + malformed.Error + missing.Error, StringComparison.Ordinal);
    }

    private Task<CommandRun> RunAsync(params string[] args) => ServerCommandTests.RunServerAsync(database.Directory, migrateOnStartup: false, args);
}
