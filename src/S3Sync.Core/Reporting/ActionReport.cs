using S3Sync.Config;
using S3Sync.Execution;

namespace S3Sync.Reporting;

/// <summary>
/// The JSON Lines report of <c>sync --json</c> and <c>restore --json</c>, in verify's schema family (the same writer,
/// field names and escaping): one "action" line per key acted on (done, failed, held, skipped; planned in a dry run)
/// as it happens, one "error" line per failure outside an action, one "summary" per site, and a "total", always last.
/// Keys are relative to the site's bucket_path, as in every log line. See docs/sync.md for the schema.
/// </summary>
public sealed class ActionReport(TextWriter output, bool dryRun, bool download)
{
    private readonly JsonLines _json = new(output);
    private readonly SyncTotals _total = new();
    private long _held;

    /// <summary><c>-q</c>: only failed actions and errors; no summaries.</summary>
    public bool ErrorsOnly { get; init; }

    /// <summary>Reports every action and problem of one site's run.</summary>
    public void Follow(Site site, SiteSync sync)
    {
        sync.Acted += a => Action(site, a);
        sync.ProblemFound += p => Problem(site, p);
    }

    /// <inheritdoc cref="Follow(Site, SiteSync)"/>
    public void Follow(Site site, SiteRestore restore)
    {
        restore.Acted += a => Action(site, a);
        restore.ProblemFound += p => Problem(site, p);
    }

    public void Action(Site site, ActionEvent a)
    {
        if (a.Status == ActionStatus.Held) Interlocked.Increment(ref _held);
        if (ErrorsOnly && a.Status != ActionStatus.Failed) return;
        _json.Write(new JsonReportLine
        {
            Type = "action",
            Site = site.Name,
            Action = a.Verb,
            From = a.From,
            Key = a.Key,
            Status = StatusName(a.Status),
            Kind = a.Reason is { } reason ? PlanReport.KindName(reason) : null,
            Size = a.Size,
            Detail = a.Status is ActionStatus.Done or ActionStatus.Planned ? a.Detail ?? a.Why : null,
            Reason = a.Status is ActionStatus.Held or ActionStatus.Skipped ? a.Why : null,
            Error = a.Status == ActionStatus.Failed ? a.Why ?? "failed" : null,
        });
    }

    public void Problem(Site site, SiteProblem p) =>
        _json.Write(new JsonReportLine { Type = "error", Site = site.Name, Key = p.Key, Error = p.Message });

    /// <summary>A site's summary, after its run (sites run one after the other).</summary>
    public void SiteSummary(SiteResult result)
    {
        var totals = SyncTotals.From(result.Stats, Interlocked.Exchange(ref _held, 0), download);
        _total.Add(totals);
        if (ErrorsOnly) return;
        _json.Write(new JsonReportLine
        {
            Type = "summary", Site = result.Site.Name, Status = StatusName(result.Status), DryRun = dryRun ? true : null,
            Totals = totals, Seconds = Math.Round(result.Elapsed.TotalSeconds, 3),
            LinksSkipped = result.LinksSkipped > 0 ? result.LinksSkipped : null,
            SpecialFilesSkipped = result.SpecialFilesSkipped > 0 ? result.SpecialFilesSkipped : null,
        });
    }

    /// <summary>The last line, always: the whole run and the exit code it ends with.</summary>
    public void TotalSummary(SiteStatus worst, TimeSpan elapsed, int exitCode)
    {
        if (ErrorsOnly) return;
        _json.Write(new JsonReportLine
        {
            Type = "total", Status = StatusName(worst), DryRun = dryRun ? true : null, Totals = _total,
            Seconds = Math.Round(elapsed.TotalSeconds, 3), ExitCode = exitCode,
        });
    }

    public static string StatusName(ActionStatus status) => status switch
    {
        ActionStatus.Done => "done",
        ActionStatus.Planned => "planned",
        ActionStatus.Failed => "failed",
        ActionStatus.Held => "held",
        _ => "skipped",
    };

    public static string StatusName(SiteStatus status) => status switch
    {
        SiteStatus.Done => "done",
        SiteStatus.DeletesRefused => "deletes_refused",
        SiteStatus.Credentials => "credentials",
        _ => "failed",
    };
}
