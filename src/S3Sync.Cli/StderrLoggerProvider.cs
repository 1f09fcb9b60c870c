using System.Text;
using Microsoft.Extensions.Logging;

namespace S3Sync.Cli;

/// <summary>
/// Logging on stderr, one line per message: the console logger's single-line text (<see cref="LogLine"/>) or its JSON
/// (<see cref="JsonLogLine"/>, with a <c>site</c> field), each with an sd-daemon <c>&lt;N&gt;</c> priority prefix when
/// stderr is systemd's journal stream (<see cref="Reporting.JournalStream"/>). Buffered: lines are
/// written to one buffer under a lock and go out when a warning or worse is logged, when the buffer fills, and at most
/// <see cref="FlushInterval"/> after they were logged (and on dispose). The flush timer is armed by a line and fires
/// once: an idle process (a quiet <c>watch</c>) is never woken by it. The console logger handed every line to its
/// own thread and wrote it alone: a sync of 10,000 small files spent about a second of CPU on its 10,000 action lines.
/// Dispose it before exit, or the last lines stay in the buffer.
/// </summary>
public sealed class StderrLoggerProvider : ILoggerProvider
{
    /// <summary>The longest a line waits in the buffer: a `tail -f` or journald sees it this soon.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly TextWriter _writer;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly bool _json, _journal;
    private bool _pending, _armed, _disposed;

    /// <param name="json">JSON lines instead of text.</param>
    /// <param name="journal">Each line starts with its sd-daemon priority (<c>&lt;3&gt;</c> for an error): stderr is journald's.</param>
    public StderrLoggerProvider(Stream? stderr = null, TimeProvider? time = null, bool json = false, bool journal = false)
    {
        _json = json;
        _journal = journal;
        _writer = new StreamWriter(stderr ?? Console.OpenStandardError(), new UTF8Encoding(false), 64 * 1024) { AutoFlush = false };
        _time = time ?? TimeProvider.System;
        _timer = _time.CreateTimer(_ => Flush(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    private void Write(LogLevel level, string category, EventId eventId, string message, IReadOnlyList<KeyValuePair<string, object?>>? state, Exception? exception)
    {
        var line = _json
            ? JsonLogLine.Format(_time.GetUtcNow(), level, category, eventId, message, state, exception)
            : LogLine.Format(_time.GetLocalNow(), level, category, eventId, message);
        if (_journal) line = Reporting.JournalStream.Prefix(level) + line;
        lock (_gate)
        {
            if (_disposed) return;
            _writer.WriteLine(line);
            _pending = true;
            if (level >= LogLevel.Warning) FlushLocked();
            else if (!_armed)
            {
                _armed = true;
                _timer.Change(FlushInterval, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>The timer's flush: one shot, armed again by the next line.</summary>
    private void Flush()
    {
        lock (_gate)
        {
            _armed = false;
            if (!_disposed) FlushLocked();
        }
    }

    private void FlushLocked()
    {
        if (!_pending) return;
        _pending = false;
        try { _writer.Flush(); }
        catch (IOException) { } // stderr closed (a pipe whose reader left): the lines have nowhere to go
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_gate)
        {
            if (_disposed) return;
            FlushLocked();
            _disposed = true;
        }
    }

    private sealed class Logger(StderrLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // The factory filters by level (SetMinimumLevel, AddFilter) before a call gets here.
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) provider.Write(logLevel, category, eventId, formatter(state, exception), state as IReadOnlyList<KeyValuePair<string, object?>>, exception);
        }
    }
}
