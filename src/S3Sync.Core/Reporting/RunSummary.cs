using S3Sync.Execution;

namespace S3Sync.Reporting;

/// <summary>The text summary of a sync or a restore: a line per site (and its first problems), and for a sync of several
/// sites a total. A dry run's lines begin with <c>(dryrun)</c>: they are the run's forecast.</summary>
public sealed class RunSummary(TextWriter output, bool dryRun)
{
    private const int ProblemLines = 20;

    /// <summary>A sync's site line.</summary>
    public void Synced(SiteResult result)
    {
        var s = result.Stats;
        output.WriteLine(Prefix + $"site {result.Site.Name}: uploaded {s.Uploaded} files ({Sizes.Bytes(s.UploadedBytes)}), deleted {s.Deleted}, changed in place {s.ChangedInPlace}, unchanged {s.Unchanged}, kept {s.Kept}, failed {s.Failed}; {Sizes.Duration(result.Elapsed)}" + (result.Status == SiteStatus.Done ? "" : $" [{StatusText(result.Status)}]"));
        Problems(result);
    }

    /// <summary>A restore's site line.</summary>
    public void Restored(SiteResult result)
    {
        var s = result.Stats;
        output.WriteLine(Prefix + $"site {result.Site.Name}: restored {s.Downloaded} files ({Sizes.Bytes(s.DownloadedBytes)}) into {result.Site.LocalPath}, metadata set {s.ChangedInPlace}, deleted {s.Deleted}, unchanged {s.Unchanged}, kept {s.Kept}, failed {s.Failed}; {Sizes.Duration(result.Elapsed)}"
            + (result.Status == SiteStatus.Done ? "" : result.Status == SiteStatus.DeletesRefused ? " [deletions refused]" : " [incomplete: see errors]"));
        Problems(result);
    }

    /// <summary>A sync's total line, when it ran several sites.</summary>
    public void Total(RunOutcome run)
    {
        if (run.Sites.Count <= 1) return;
        output.WriteLine(Prefix + $"total: uploaded {run.Sites.Sum(r => r.Stats.Uploaded)} files ({Sizes.Bytes(run.Sites.Sum(r => r.Stats.UploadedBytes))}), failed {run.Sites.Sum(r => r.Stats.Failed)}; {Sizes.Duration(run.Elapsed)}");
    }

    private string Prefix => dryRun ? "(dryrun) " : "";

    private void Problems(SiteResult result)
    {
        foreach (var problem in result.Problems.Take(ProblemLines)) output.WriteLine($"  ! {PlanReport.Escape(problem)}");
        if (result.Problems.Count > ProblemLines) output.WriteLine($"  ! ... and {result.Problems.Count - ProblemLines} more (see the log)");
    }

    private static string StatusText(SiteStatus status) => status switch
    {
        SiteStatus.Failed => "incomplete: see errors",
        SiteStatus.DeletesRefused => "deletions refused",
        SiteStatus.Credentials => "no usable credentials",
        _ => "",
    };
}
