using EIdentity.Server.Credentials.Certificates.Development;

namespace EIdentity.Server.Cli;

/// <summary><c>certs dev-pki</c>: generates the development PKI (see <see cref="DevelopmentPki"/>).</summary>
internal static class DevelopmentPkiCommands
{
    public static readonly IReadOnlySet<string> Flags = new HashSet<string>(StringComparer.Ordinal) { "force" };

    /// <summary>The default output folder, relative to the repository root.</summary>
    public static readonly string DefaultOut = Path.Combine("certs", "dev-pki");

    /// <returns>0 when the files were written, 1 when an existing folder was left alone.</returns>
    public static async Task<int> GenerateAsync(CommandArguments args, TimeProvider time, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);

        var baseUrl = DevelopmentPki.DefaultBaseUrl;
        if (args.Optional("base-url") is { } baseText
            && (!Uri.TryCreate(baseText, UriKind.Absolute, out baseUrl) || baseUrl.Scheme is not ("http" or "https") || baseUrl.Query.Length > 0 || baseUrl.Fragment.Length > 0))
        {
            throw new CommandException("--base-url must be an absolute http or https URL without query or fragment, e.g. http://localhost:5000");
        }

        var directory = args.Optional("out") ?? DefaultDirectory()
            ?? throw new CommandException($"--out is required outside the repository (the default is {DefaultOut} of the folder holding EIdentity.sln)");

        // A regenerated PKI replaces every key and serial number: never by accident.
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any() && !args.Flag("force"))
        {
            await error.WriteLineAsync($"error: {directory} already exists and is not empty; nothing was written. Pass --force to replace the development PKI (every key, certificate and serial number changes).");
            return 1;
        }

        var files = DevelopmentPki.Generate(baseUrl!, time.GetUtcNow());
        Directory.CreateDirectory(directory);
        foreach (var file in files)
        {
            var path = Path.Combine(directory, file.Name);
            await File.WriteAllBytesAsync(path, file.Content);
            await output.WriteLineAsync($"wrote {path}");
        }

        return 0;
    }

    /// <summary><c>certs/dev-pki</c> of the nearest folder above the current one holding <c>EIdentity.sln</c>.</summary>
    private static string? DefaultDirectory()
    {
        for (var folder = new DirectoryInfo(Environment.CurrentDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "EIdentity.sln")))
            {
                return Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(folder.FullName, DefaultOut));
            }
        }

        return null;
    }
}
