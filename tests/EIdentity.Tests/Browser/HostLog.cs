using System.Globalization;
using Microsoft.Extensions.Logging;

namespace EIdentity.Tests.Browser;

/// <summary>
/// The last lines a host wrote (process output or log messages), kept so that a failing browser
/// step can show what the identity provider and the portals were saying at the time.
/// </summary>
public sealed class HostLog(string name) : ILoggerProvider
{
    private const int Capacity = 400;
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public string Name { get; } = name;

    public void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _lines.Enqueue(line);
            while (_lines.Count > Capacity)
            {
                _lines.Dequeue();
            }
        }
    }

    public string Tail(int count = 40)
    {
        lock (_gate)
        {
            var lines = _lines.Skip(Math.Max(0, _lines.Count - count)).Select(l => $"  [{Name}] {l}");
            return string.Join('\n', lines);
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(HostLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        // The host's configured filters (appsettings.json, Logging section) have already applied.
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var line = string.Create(CultureInfo.InvariantCulture, $"{logLevel} {category}: {formatter(state, exception)}");
            log.Write(exception is null ? line : $"{line} {exception.GetType().Name}: {exception.Message}");
        }
    }
}
