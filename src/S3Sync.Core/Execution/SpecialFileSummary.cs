using Microsoft.Extensions.Logging;
using S3Sync.Local;

namespace S3Sync.Execution;

/// <summary>
/// FIFOs, sockets and devices a walk skipped, summed up in one warning per site and run (count and the first few
/// paths), as <see cref="LinkSummary"/> does for links; each one's own line is at debug level.
/// </summary>
public sealed class SpecialFileSummary
{
    private const int Shown = 5;
    private readonly List<string> _first = [];
    private int _count;

    /// <summary>Takes a special-file issue (logged at debug); false for any other issue.</summary>
    public bool TryAdd(WalkIssue issue, ILogger logger)
    {
        if (!issue.IsSpecial) return false;
        logger.LogDebug("{Path}: {Message}", issue.Path, issue.Message);
        lock (_first)
        {
            _count++;
            if (_first.Count < Shown) _first.Add(issue.Path);
        }
        return true;
    }

    public int Count => _count;

    /// <summary>The one line, when there was any special file: a warning when <paramref name="level"/> says so (the count
    /// changed since the last run), else at debug.</summary>
    public void Report(ILogger logger, string site, LogLevel level = LogLevel.Warning)
    {
        if (_count == 0) return;
        var more = _count > _first.Count ? $", and {_count - _first.Count} more (--loglevel debug lists each)" : "";
        logger.Log(level, "site {Site}: {Count} special files skipped (FIFOs, sockets or devices: not regular files): {Paths}{More}", site, _count, string.Join(", ", _first), more);
    }
}
