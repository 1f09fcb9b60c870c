using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Reporting;

namespace S3Sync.Execution;

/// <summary>
/// The run skeleton of a site that <see cref="SiteSync"/> and <see cref="SiteRestore"/> share: plan (the one
/// <see cref="SyncPlanner"/>, with the command's <see cref="PlanOptions"/> from <see cref="PlanFactory"/>), hand every
/// entry to the executor as the plan streams (or record it, in a dry run), count what needs no action, and end the
/// plan's phase with a status: a failure that stopped the plan is one line naming the bucket and what to do
/// (<see cref="StoreFailure"/>), and deletions are decided only after a walk and a listing that both completed.
/// The executors (the <see cref="Uploader"/>, the <see cref="Downloader"/>) and the side deletions are made on are the
/// callers'; deletions in S3 go through the <see cref="DeletionStage"/>.
/// </summary>
/// <param name="walkWarnings">Log a walk's warnings at warning level (sync's own tree); restore's target folder's at debug.</param>
public sealed class SiteRun(Site site, ILogger logger, SiteProblems problems, bool walkWarnings)
{
    /// <summary>The symbolic links the walk skipped or refused, said once at the end (<see cref="Finish"/>).</summary>
    public LinkSummary Links { get; } = new();

    /// <summary>The FIFOs, sockets and devices the walk skipped (sync's own tree), said once at the end.</summary>
    public SpecialFileSummary Specials { get; } = new();

    /// <summary>How the plan's phase ended: done, failed, or credentials (no usable credentials).</summary>
    public SiteStatus Status { get; private set; } = SiteStatus.Done;

    /// <summary>The site's planner: the walk's problems become the run's (an error fails its file, a link is summed up).</summary>
    public SyncPlanner Planner(IObjectStore store, IDigestSource digests, PlanOptions options) =>
        new(site, store, digests, options, issue =>
        {
            if (Links.TryAdd(issue, logger) || (walkWarnings && Specials.TryAdd(issue, logger))) return;
            if (issue.IsError)
            {
                logger.LogError("{Path}: {Message}", issue.Path, issue.Message);
                problems.Failure(PlanReport.KeyForPath(site, issue.Path) ?? issue.Path, issue.Message, $"{issue.Path}: {issue.Message}");
            }
            else if (walkWarnings) logger.LogWarning("{Path}: {Message}", issue.Path, issue.Message);
            else logger.LogDebug("{Path}: {Message}", issue.Path, issue.Message);
        });

    /// <summary>Streams the plan to <paramref name="dispatch"/>, in key order. A failure of the walk or the listing
    /// ends the plan (not the run: what was handed out still runs) and sets <see cref="Status"/>.</summary>
    public async Task PlanAsync(SyncPlanner planner, Func<PlanEntry, ValueTask> dispatch, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var entry in planner.PlanAsync(cancellationToken).ConfigureAwait(false))
                await dispatch(entry).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A missing bucket or unusable credentials: one line naming the bucket and what to do.
            (var why, var status) = PlanningFailure(e, site);
            Status = status;
            logger.LogError("site {Site}: {Error}", site.Name, why);
            problems.Failure(null, why);
        }
    }

    /// <summary>What a dry run reports for a transfer or an in-place change: the action as planned, counted as the run
    /// would count it (the dry run's summary is the run's forecast).</summary>
    public static ActionEvent Planned(PlanEntry entry, long? size, string? detail) =>
        new(SiteSync.Verb(entry.Action), entry.Key, ActionStatus.Planned, entry.Reason, size, detail);

    /// <summary>
    /// After the executor drained: the links' summary, and whether deletions may be decided. They may not when the walk
    /// or the listing did not complete, or the plan failed: then <paramref name="hold"/> reports each as held, and the
    /// status is failed (or credentials); <paramref name="mayDelete"/> says so in a warning. Returns true when the
    /// deletions are to be decided. <paramref name="notice"/> gives the level of each summary ("links", "special") from
    /// its count and whether the walk completed (sync: a warning once per change of the count, issue #27).
    /// </summary>
    public bool Finish(SyncPlanner planner, bool mayDelete, Action hold, Func<string, int, bool, LogLevel>? notice = null)
    {
        Links.Report(logger, site.Name, site.Symlinks, notice?.Invoke("links", Links.Count, planner.Complete) ?? LogLevel.Warning);
        if (walkWarnings) Specials.Report(logger, site.Name, notice?.Invoke("special", Specials.Count, planner.Complete) ?? LogLevel.Warning);
        if (planner.Complete && Status is not (SiteStatus.Failed or SiteStatus.Credentials)) return true;
        if (mayDelete) logger.LogWarning("site {Site}: the walk or the listing did not complete, so nothing was deleted", site.Name);
        hold();
        if (Status != SiteStatus.Credentials) Status = SiteStatus.Failed;
        return false;
    }

    /// <summary>A site's walk or listing that could not finish: the line to log and report, and the status it ends
    /// with (<see cref="SiteStatus.Credentials"/> for missing or refused credentials, else failed). Sync and restore
    /// both end a site this way.</summary>
    private static (string Why, SiteStatus Status) PlanningFailure(Exception e, Site site)
    {
        var kind = StoreFailure.Classify(e);
        var why = e is BeforeOldestVersionException ? e.Message
            : !StoreFailure.StopsSite(kind) ? $"could not finish the walk or the listing: {StoreErrors.Describe(e)}" : StoreFailure.Explain(e, site);
        return (why, kind == StoreErrorKind.Credentials ? SiteStatus.Credentials : SiteStatus.Failed);
    }
}
