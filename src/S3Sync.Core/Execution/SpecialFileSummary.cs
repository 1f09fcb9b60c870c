using Microsoft.Extensions.Logging;
using S3Sync.Local;

namespace S3Sync.Execution;

/// <summary>
/// FIFOs, sockets and devices a walk skipped, summed up in one warning per site and run (count and the first few
/// paths), as <see cref="LinkSummary"/> does for links; each one's own line is at debug level.
/// </summary>
public sealed class SpecialFileSummary
{
    private readonly WalkIssueTally _tally = new(issue => issue.IsSpecial);

    /// <summary>Takes a special-file issue (logged at debug); false for any other issue.</summary>
    public bool TryAdd(WalkIssue issue, ILogger logger) => _tally.TryAdd(issue, logger);

    public int Count => _tally.Count;

    /// <summary>The one line, when there was any special file: a warning when <paramref name="level"/> says so (the count
    /// changed since the last run), else at debug.</summary>
    public void Report(ILogger logger, string site, LogLevel level = LogLevel.Warning)
    {
        if (Count == 0) return;
        logger.Log(level, "site {Site}: {Count} special files skipped (FIFOs, sockets or devices: not regular files): {Paths}{More}", site, Count, _tally.Paths, _tally.More);
    }
}
