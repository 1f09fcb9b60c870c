using Microsoft.Extensions.Logging;
using S3Sync.Reporting;

namespace S3Sync.Cli;

/// <summary>
/// Formats each message as the inner logger would, then escapes it with <see cref="Printable.Escape"/>: keys and
/// file names come from outside and may hold escape sequences or newlines; a log line stays one harmless line.
/// </summary>
public sealed class EscapingLogger(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        inner.Log(logLevel, eventId, state, exception, (s, e) => Printable.Escape(formatter(s, e)));
}
