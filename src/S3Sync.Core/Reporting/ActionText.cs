using S3Sync.Config;
using S3Sync.Execution;

namespace S3Sync.Reporting;

/// <summary>
/// The text form of a dry run (<c>sync --dry-run</c>, <c>restore --dry-run</c>) on standard output: the same
/// <see cref="ActionEvent"/>s of the same run that the JSON report writes, one line per action the real run would take
/// (<c>(dryrun) upload: docs/a.txt</c>, as <c>aws s3 sync --dryrun</c> prints) or that a safety rule holds
/// (<c>(held) delete: old.txt: more than max_delete 10</c>). Failures are the log's (stderr), as in the real run.
/// </summary>
/// <param name="nameSites">Prefix each line with <c>site NAME: </c> (a run of several sites).</param>
public sealed class ActionText(TextWriter output, bool nameSites)
{
    /// <summary><c>-q</c>: nothing but what the log already says.</summary>
    public bool Quiet { get; init; }

    public void Follow(Site site, SiteSync sync) => sync.Acted += a => Action(site, a);

    /// <inheritdoc cref="Follow(Site, SiteSync)"/>
    public void Follow(Site site, SiteRestore restore) => restore.Acted += a => Action(site, a);

    public void Action(Site site, ActionEvent a)
    {
        if (Quiet || Line(a) is not { } line) return;
        lock (output) output.WriteLine(nameSites ? $"site {site.Name}: {line}" : line);
    }

    /// <summary>The line of a planned or held action; null for the others (done, failed and skipped are logged).</summary>
    public static string? Line(ActionEvent a) => a.Status switch
    {
        ActionStatus.Planned => "(dryrun) " + (a.From is { } from ? ActionLine.MoveText(a.Verb, from, a.Key) : ActionLine.Text(a.Verb, a.Key, a.Detail)),
        ActionStatus.Held => $"(held) {ActionLine.Text(a.Verb, a.Key)}: {a.Why}",
        _ => null,
    };
}
