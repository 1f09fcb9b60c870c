using System.Diagnostics;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Reporting;

namespace S3Sync.Execution;

/// <summary>
/// Executes a site's plan the other way round (restore): the <see cref="SyncPlanner"/> with
/// <see cref="PlanOptions.Download"/> over the target folder and the bucket; downloads and metadata fixes go to the
/// <see cref="Downloader"/> as the plan streams; local deletions (<c>--delete</c>) wait until every download has
/// ended and happen only when the walk and the listing both completed and the <see cref="DeleteGuard"/> allows them.
/// </summary>
/// <param name="site">The site, its <c>local_path</c> already the restore's target folder.</param>
public sealed class SiteRestore(Site site, IObjectStore store, IDigestSource digests, RestoreSettings settings, ILogger logger)
{
    public event Action<PlanEntry>? Planned;

    /// <summary>Raised for every action done, planned, failed or held (on worker threads).</summary>
    public event Action<ActionEvent>? Acted;

    /// <summary>Raised for every failure outside an action: an unreadable file, a site that could not finish.</summary>
    public event Action<SiteProblem>? ProblemFound;

    public async Task<SiteResult> RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var stats = new SiteStats();
        var problems = new SiteProblems(p => ProblemFound?.Invoke(p));

        // A dry run changes nothing, so it neither creates the target folder nor opens it.
        TargetFolder? target = null;
        try
        {
            if (!settings.DryRun) target = TargetFolder.Open(site.LocalPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError("site {Site}: cannot restore into {Path}: {Error}", site.Name, site.LocalPath, e.Message);
            problems.Failure(null, $"cannot restore into {site.LocalPath}: {e.Message}");
            return new SiteResult(site, SiteStatus.Failed, stats, clock.Elapsed, problems.Lines);
        }
        using var _ = target;

        var run = new SiteRun(site, logger, problems, walkWarnings: false);
        var planner = run.Planner(store, digests, PlanFactory.Restore(settings.Owner, settings.At));

        using var deletes = new KeySpill();
        var folderRestore = new FolderRestore(store, settings);
        long remoteObjects = 0, localFiles = 0;
        var downloader = target is null ? null : new Downloader(site, store, target, digests, settings, logger, cancellationToken);
        await using (downloader)
        {
            if (downloader is not null) downloader.Completed += result =>
            {
                var entry = result.Entry;
                var verb = SiteSync.Verb(entry.Action);
                switch (result.Outcome)
                {
                    case DownloadOutcome.Written: stats.AddDownloaded(result.Bytes); break;
                    case DownloadOutcome.MetadataApplied: stats.AddChangedInPlace(); break;
                    case DownloadOutcome.Skipped:
                        // A link object outside symlinks: preserve: one more link in the run's summary of skipped links.
                        run.Links.TryAdd(new WalkIssue(entry.Key, "a symbolic link object: restored only with symlinks: preserve", IsError: false) { IsLink = true }, logger);
                        return;
                    default:
                        stats.AddFailed();
                        problems.Add($"{entry.Key}: {result.Error}");
                        Acted?.Invoke(new ActionEvent(verb, entry.Key, ActionStatus.Failed, entry.Reason, Why: result.Error));
                        return;
                }
                if (settings.LogActions) ActionLine.Log(logger, verb, entry.Key);
                Acted?.Invoke(new ActionEvent(verb, entry.Key, ActionStatus.Done, entry.Reason, result.Outcome == DownloadOutcome.Written ? result.Bytes : null, Why: result.Warning));
            };
            await run.PlanAsync(planner, async entry =>
            {
                Planned?.Invoke(entry);
                var folder = entry.Key.EndsWith('/');
                // The delete guard's counts are of files: a folder is never deleted by a restore.
                if (entry.Remote is not null && !folder) remoteObjects++;
                if (entry.Local is not null && !folder && entry.Reason != ChangeReason.Vanished) localFiles++;
                switch (entry.Action)
                {
                    case PlanAction.Download or PlanAction.ApplyMetadata when folder && settings.DryRun:
                        if (TargetFolder.FolderObstacle(site.LocalPath, entry.Key) is { } blocked)
                        {
                            stats.AddFailed();
                            problems.Add($"{entry.Key}: {blocked}");
                            Acted?.Invoke(new ActionEvent(SiteSync.Verb(entry.Action), entry.Key, ActionStatus.Failed, entry.Reason, Why: blocked));
                            break;
                        }
                        stats.AddChangedInPlace();
                        Acted?.Invoke(new ActionEvent(SiteSync.Verb(entry.Action), entry.Key, ActionStatus.Planned, entry.Reason, Why: entry.Detail));
                        break;
                    case PlanAction.Download or PlanAction.ApplyMetadata when folder:
                        // Made (when missing) and given its metadata after every file: see FolderRestore.
                        folderRestore.Add(entry);
                        break;
                    case PlanAction.Download when settings.DryRun && TargetFolder.Obstacle(site.LocalPath, entry.Key) is { } obstacle:
                        // What the run would fail on, the dry run fails on too: same count, same exit.
                        stats.AddFailed();
                        problems.Add($"{entry.Key}: {obstacle}");
                        Acted?.Invoke(new ActionEvent(SiteSync.Verb(entry.Action), entry.Key, ActionStatus.Failed, entry.Reason, Why: obstacle));
                        break;
                    case PlanAction.Download or PlanAction.ApplyMetadata when settings.DryRun:
                        if (entry.Action == PlanAction.Download) stats.AddDownloaded(entry.Remote!.Size);
                        else stats.AddChangedInPlace();
                        Acted?.Invoke(SiteRun.Planned(entry, entry.Action == PlanAction.Download ? entry.Remote!.Size : null, entry.Action == PlanAction.ApplyMetadata ? entry.Detail : null));
                        break;
                    case PlanAction.Download or PlanAction.ApplyMetadata:
                        await downloader!.EnqueueAsync(entry, cancellationToken).ConfigureAwait(false);
                        break;
                    case PlanAction.Delete:
                        deletes.Add(entry.Key);
                        break;
                    default:
                        if (entry.Reason == ChangeReason.Vanished && entry.Local is not null && target is not null) RemoveLeftover(target, entry.Key);
                        Count(entry, stats, (k, m) => problems.Failure(k, m));
                        break;
                }
            }, cancellationToken).ConfigureAwait(false);
            if (downloader is not null)
            {
                foreach (var folder in await downloader.CompleteAsync().ConfigureAwait(false))
                {
                    stats.AddFailed();
                    problems.Failure(null, folder);
                }
                if (downloader.Unverified is { Count: > 0 } unverified)
                {
                    // One line per site and run, however many: the JSON lines and --loglevel debug name each.
                    var more = unverified.Count > unverified.First.Count ? $", and {unverified.Count - unverified.First.Count} more" : "";
                    logger.LogWarning("site {Site}: {Count} objects written unverified: nothing can prove their bytes (encrypted by another tool, no MD5 stored): {Keys}{More}",
                        site.Name, unverified.Count, string.Join(", ", unverified.First), more);
                }
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (planner.FolderKeysWithData is { Count: > 0 } folders)
        {
            // "a/" is a folder marker; one that holds bytes has no file it could be: said, not skipped silently.
            var more = planner.FolderKeysWithDataCount > folders.Count ? $", and {planner.FolderKeysWithDataCount - folders.Count} more" : "";
            logger.LogWarning("site {Site}: {Count} keys ending in '/' hold data and cannot be files, not restored: {Keys}{More}",
                site.Name, planner.FolderKeysWithDataCount, string.Join(", ", folders.Select(Printable.Escape)), more);
        }

        // The deletion stage of sync, the other way round: the side deleted from is the folder, the source the listing.
        var stage = DeletionStage.ForRestore(site, target, new DeleteGuard(settings.MaxDelete ?? site.MaxDelete), logger, settings.LogActions);
        var status = run.Finish(planner, deletes.Count > 0, () => stage.Incomplete(deletes, Acted))
            ? await DeleteAsync(stage, deletes, localFiles, remoteObjects, stats, problems, cancellationToken).ConfigureAwait(false)
            : run.Status;
        if (target is not null && !cancellationToken.IsCancellationRequested)
        {
            // Last: a folder's mtime moves with every file written or deleted in it.
            foreach (var (entry, error) in await folderRestore.ApplyAsync(target, cancellationToken).ConfigureAwait(false))
            {
                var verb = SiteSync.Verb(entry.Action);
                if (error is null)
                {
                    stats.AddChangedInPlace();
                    if (settings.LogActions) ActionLine.Log(logger, verb, entry.Key);
                    Acted?.Invoke(new ActionEvent(verb, entry.Key, ActionStatus.Done, entry.Reason));
                    continue;
                }
                stats.AddFailed();
                logger.LogError("{Key}: {Error}", entry.Key, error);
                problems.Add($"{entry.Key}: {error}");
                Acted?.Invoke(new ActionEvent(verb, entry.Key, ActionStatus.Failed, entry.Reason, Why: error));
            }
        }
        if (stats.Failed > 0 && status == SiteStatus.Done) status = SiteStatus.Failed;
        return new SiteResult(site, status, stats, clock.Elapsed, problems.Lines);
    }

    /// <summary>
    /// The local deletions (<c>--delete</c>, <c>retire_deleted</c>) through the <see cref="DeletionStage"/>, as sync's
    /// deletions in S3: the guard's base is the files of the target folder, an empty bucket prefix is the empty root
    /// (a wrong bucket or prefix is not a deleted tree), a dry run asks the guard as the run would; what it refused is
    /// said here, once, with the flag that applies it.
    /// </summary>
    private async Task<SiteStatus> DeleteAsync(DeletionStage stage, KeySpill keys, long localFiles, long remoteObjects, SiteStats stats, SiteProblems problems, CancellationToken cancellationToken)
    {
        var outcome = await stage.FullSyncAsync(keys, objects: localFiles, localFiles: remoteObjects, settings.DryRun, Acted, cancellationToken).ConfigureAwait(false);
        var message = outcome.Refusal switch
        {
            DeletionRefusal.EmptyRoot => $"s3://{site.Bucket}/{site.ListPrefix} is empty while {site.LocalPath} holds {localFiles} files; refusing to delete them (is the bucket or prefix right?)",
            DeletionRefusal.MaxDelete => $"would delete {keys.Count} of {localFiles} files under {site.LocalPath}, more than max_delete {stage.Guard.Limit}; nothing was deleted. If that is intended, run again with --max-delete {outcome.Verdict.InWindow} (or set max_delete)",
            _ => null,
        };
        if (message is not null)
        {
            logger.LogError("site {Site}: {Message}", site.Name, message);
            problems.Failure(null, message);
            return SiteStatus.DeletesRefused;
        }
        stats.AddDeleted(outcome.Deleted);
        foreach (var (key, error) in outcome.Failed)
        {
            stats.AddFailed();
            problems.Add($"{key}: delete failed: {error}");
        }
        return SiteStatus.Done;
    }

    /// <summary>A temporary file an interrupted restore left behind: removed, never reported as a file of the tree.</summary>
    private void RemoveLeftover(TargetFolder target, string key)
    {
        var segments = key.Split('/');
        try
        {
            using var folder = target.OpenFolder(segments.AsSpan(0, segments.Length - 1));
            TargetFolder.Remove(folder, segments[^1]);
            logger.LogDebug("{Key}: removed a temporary file of an interrupted restore", key);
        }
        catch (IOException e)
        {
            logger.LogWarning("{Key}: could not remove a temporary file of an interrupted restore: {Error}", key, e.Message);
        }
    }

    private static void Count(PlanEntry entry, SiteStats stats, Action<string?, string> problem)
    {
        switch (entry.Reason)
        {
            case ChangeReason.InSync: stats.AddUnchanged(); break;
            case ChangeReason.LocalOnlyKept: stats.AddKept(); break;
            case ChangeReason.Vanished: break;
            case ChangeReason.Error or ChangeReason.CannotCompare or ChangeReason.Archived:
                stats.AddFailed();
                problem(entry.Key, entry.Detail ?? "cannot restore");
                break;
        }
    }
}
