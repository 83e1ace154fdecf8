using System.Globalization;
using EIdentity.Server.Oidc;

namespace EIdentity.Server.Cli;

/// <summary><c>keys list</c> and <c>keys rotate</c>: the token signing keys every node shares.</summary>
internal static class KeyCommands
{
    public static readonly IReadOnlySet<string> RotateFlags = new HashSet<string> { "retire-now" };

    public static async Task<int> ListAsync(IServiceProvider services)
    {
        var keys = await services.GetRequiredService<ServerKeyRotation>().ListAsync();
        Console.WriteLine($"{"kid",-22} {"alg",-6} {"state",-10} {"signs from",-22} retires");
        foreach (var key in keys)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{key.KeyId,-22} {key.Algorithm,-6} {key.State.ToString().ToLowerInvariant(),-10} {key.ActivatesAt:yyyy-MM-dd HH:mm:ss}Z {(key.RetiresAt is { } r ? r.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z" : "-")}"));
        }

        return 0;
    }

    public static async Task<int> RotateAsync(IServiceProvider services, CommandArguments args)
    {
        var publishFor = TimeSpan.FromHours(1);
        if (args.Optional("publish-for") is { } text
            && (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out publishFor) || publishFor < TimeSpan.Zero || publishFor > TimeSpan.FromDays(30)))
        {
            throw new CommandException("--publish-for must be a duration between 00:00:00 and 30.00:00:00, e.g. 01:00:00");
        }

        var retireNow = args.Flag("retire-now");
        if (retireNow && args.Optional("publish-for") is not null)
        {
            throw new CommandException("--retire-now signs with the new keys at once: it takes no --publish-for");
        }

        var officer = args.Optional("officer") ?? Environment.UserName;
        var rotation = await services.GetRequiredService<ServerKeyRotation>().RotateAsync(publishFor, retireNow, "cli:" + officer);
        foreach (var key in rotation.Added)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"New {key.Algorithm} key {key.KeyId}: published now, signs from {key.ActivatesAt:yyyy-MM-dd HH:mm:ss}Z."));
        }

        foreach (var key in rotation.Superseded)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Old {key.Algorithm} key {key.KeyId}: leaves the key set at {key.RetiresAt:yyyy-MM-dd HH:mm:ss}Z."));
        }

        Console.WriteLine(retireNow
            ? "The old keys are withdrawn now: every token they signed is refused, and citizens sign in to portals again."
            : "Every node picks the new keys up within Oidc:KeyRefreshInterval; nothing needs restarting.");
        return 0;
    }
}
