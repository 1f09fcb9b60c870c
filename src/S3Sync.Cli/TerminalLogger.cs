using Microsoft.Extensions.Logging;

namespace S3Sync.Cli;

/// <summary>
/// The log on a terminal while a progress line is drawn: the same single-line text as the console logger
/// (<c>12:00:00 warn: s3sync[0] message</c>), but written at once through the <see cref="StatusTerminal"/>, so a log
/// line can never be glued to the progress line (the console logger writes later, on its own thread).
/// </summary>
public sealed class TerminalLogger(StatusTerminal terminal, LogLevel minimum, TimeProvider? time = null) : ILogger
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        terminal.WriteLine(LogLine.Format(_time.GetLocalNow(), logLevel, "s3sync", eventId, formatter(state, exception)));
    }
}
