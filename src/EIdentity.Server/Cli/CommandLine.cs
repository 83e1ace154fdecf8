namespace EIdentity.Server.Cli;

/// <summary>
/// A verb's arguments: <c>--name value</c> pairs (repeatable), <c>--switch</c> flags and, for verbs
/// that take them, positional arguments (e.g. the files of <c>certificate verify</c>).
/// </summary>
internal sealed class CommandArguments
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    private CommandArguments()
    {
    }

    public static CommandArguments Parse(IEnumerable<string> args, IReadOnlySet<string> flags, bool positional = false)
    {
        var parsed = new CommandArguments();
        string? pending = null;
        foreach (var arg in args)
        {
            if (pending is not null)
            {
                parsed.Add(pending, arg);
                pending = null;
            }
            else if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var name = arg[2..];
                var eq = name.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    parsed.Add(name[..eq], name[(eq + 1)..]);
                }
                else if (flags.Contains(name))
                {
                    parsed._flags.Add(name);
                }
                else
                {
                    pending = name;
                }
            }
            else if (positional)
            {
                parsed._positional.Add(arg);
            }
            else
            {
                throw new CommandException($"unexpected argument '{arg}'");
            }
        }

        return pending is null ? parsed : throw new CommandException($"--{pending} needs a value");
    }

    public string Required(string name) =>
        Optional(name) ?? throw new CommandException($"--{name} is required");

    public string? Optional(string name) =>
        _values.TryGetValue(name, out var values) ? values[^1] : null;

    public IReadOnlyList<string> All(string name) =>
        _values.TryGetValue(name, out var values) ? values : [];

    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>The arguments that are neither options nor their values, in order.</summary>
    public IReadOnlyList<string> Positional => _positional;

    private void Add(string name, string value)
    {
        if (!_values.TryGetValue(name, out var values))
        {
            _values[name] = values = [];
        }

        values.Add(value);
    }
}

/// <summary>A usage error: printed without a stack trace, exit code 2.</summary>
internal sealed class CommandException(string message) : Exception(message);
