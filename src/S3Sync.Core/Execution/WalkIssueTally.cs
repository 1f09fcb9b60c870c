using Microsoft.Extensions.Logging;
using S3Sync.Local;

namespace S3Sync.Execution;

/// <summary>
/// The walk issues of one kind, counted for a summary line (<see cref="LinkSummary"/>, <see cref="SpecialFileSummary"/>):
/// each one's own line at debug level, the count and the first few paths kept for the one line at the end.
/// </summary>
public sealed class WalkIssueTally(Func<WalkIssue, bool> takes)
{
    private const int Shown = 5;
    private readonly List<string> _first = [];
    private int _count;

    /// <summary>Takes an issue of its kind (logged at debug); false for any other issue.</summary>
    public bool TryAdd(WalkIssue issue, ILogger logger)
    {
        if (!takes(issue)) return false;
        logger.LogDebug("{Path}: {Message}", issue.Path, issue.Message);
        lock (_first)
        {
            _count++;
            if (_first.Count < Shown) _first.Add(issue.Path);
        }
        return true;
    }

    public int Count => _count;

    /// <summary>The first paths, comma-separated.</summary>
    public string Paths => string.Join(", ", _first);

    /// <summary>", and N more (...)" when there were more than the paths shown, else empty.</summary>
    public string More => _count > _first.Count ? $", and {_count - _first.Count} more (--loglevel debug lists each)" : "";
}
