namespace S3Sync.Cli;

/// <summary>
/// The terminal's stderr shared by the progress line and the log: one lock, and a log line always starts on a clean
/// line (the status is erased first) and the status is drawn again below it, so the two never share a line.
/// </summary>
public sealed class StatusTerminal(TextWriter error)
{
    private readonly Lock _gate = new();
    private string? _status;

    /// <summary>Draws (or redraws) the status line in place.</summary>
    public void SetStatus(string text)
    {
        lock (_gate)
        {
            _status = text;
            error.Write("\r\u001b[K" + text);
            error.Flush();
        }
    }

    /// <summary>Erases the status line; nothing is drawn until the next <see cref="SetStatus"/>.</summary>
    public void ClearStatus()
    {
        lock (_gate)
        {
            if (_status is not null) { error.Write("\r\u001b[K"); error.Flush(); }
            _status = null;
        }
    }

    /// <summary>Writes a whole line above the status: erase, line, status again.</summary>
    public void WriteLine(string line)
    {
        lock (_gate)
        {
            error.Write(_status is null ? line + "\n" : "\r\u001b[K" + line + "\n" + _status);
            error.Flush();
        }
    }
}
