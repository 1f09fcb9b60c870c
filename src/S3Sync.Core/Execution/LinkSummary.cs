using Microsoft.Extensions.Logging;
using S3Sync.Local;

namespace S3Sync.Execution;

/// <summary>
/// Symbolic links a walk skipped or refused, summed up in one warning per site and run (count and the first few paths),
/// so that a tree like /etc (about a thousand links) does not write a line per link into every cron mail; each link's
/// own line is at debug level.
/// </summary>
public sealed class LinkSummary
{
    private readonly WalkIssueTally _tally = new(issue => issue.IsLink);

    /// <summary>Takes a link issue (logged at debug); false for any other issue.</summary>
    public bool TryAdd(WalkIssue issue, ILogger logger) => _tally.TryAdd(issue, logger);

    public int Count => _tally.Count;

    /// <summary>The one line, when there was any link: a warning when <paramref name="level"/> says so (by default;
    /// <c>sync</c> lowers it to debug while the count is the last run's), else at that level.</summary>
    public void Report(ILogger logger, string site, Config.SymlinkMode mode, LogLevel level = LogLevel.Warning)
    {
        if (Count == 0) return;
        var hint = mode == Config.SymlinkMode.Skip ? "; set symlinks: preserve (or follow) to back them up" : "";
        logger.Log(level, "site {Site}: {Count} symbolic links {What}: {Paths}{More}{Hint}", site, Count,
            mode == Config.SymlinkMode.Skip ? "skipped" : "refused", _tally.Paths, _tally.More, hint);
    }
}
