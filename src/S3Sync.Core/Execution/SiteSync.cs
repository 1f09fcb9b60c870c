using System.Diagnostics;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Planning;
using S3Sync.Remote;

namespace S3Sync.Execution;

/// <summary>
/// Executes a site's plan: uploads and storage-class changes go to the <see cref="Uploader"/> as the plan streams
/// (so transfers start while the walk and listing still run); deletions wait until every upload has ended, and
/// happen only when the walk and the listing both completed and the delete guard allows them.
/// </summary>
/// <remarks>Deletions pass the <see cref="DeleteGuard"/>: a new one per run by default; <c>watch</c> passes its site's
/// guard so its full syncs and its events share one window. Uploads go to a pool of <see cref="SyncSettings.Workers"/>
/// of its own by default; <c>watch</c> passes its process's one <see cref="Uploader"/>, so a full sync and the events
/// around it share <c>upload_workers</c> and the memory budget.</remarks>
/// <param name="deletions">The deletion stage (and its guard); null: a stage of this run's own, with a guard of its own.</param>
public sealed class SiteSync(Site site, IObjectStore store, IDigestSource digests, SyncSettings settings, ILogger logger, DeletionStage? deletions = null, Uploader? pool = null)
{
    private readonly DeletionStage _deletions = deletions ?? new DeletionStage(site, store, new DeleteGuard(settings.MaxDelete ?? site.MaxDelete), logger, logsActions: settings.LogActions);

    public event Action<PlanEntry>? Planned;
    public event Action<UploadResult>? Uploaded;

    /// <summary>Raised for every action done, planned, failed, held or skipped (on worker threads).</summary>
    public event Action<ActionEvent>? Acted;

    /// <summary>Raised for every failure outside an action: an unreadable file, a site that could not finish.</summary>
    public event Action<SiteProblem>? ProblemFound;

    /// <summary>Raised once the plan has been read to its end (the walk and the listing are over), or has failed.</summary>
    public event Action? PlanComplete;

    public async Task<SiteResult> RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var stats = new SiteStats();
        var problems = new SiteProblems(p => ProblemFound?.Invoke(p));

        if (!Directory.Exists(site.LocalPath))
        {
            var why = File.Exists(site.LocalPath) ? "is a file, not a folder" : "does not exist (is the disk mounted?)";
            logger.LogError("site {Site}: local_path {Path} {Why}; nothing was done", site.Name, site.LocalPath, why);
            problems.Failure(null, $"local_path {site.LocalPath} {why}; nothing was done");
            return new SiteResult(site, SiteStatus.Failed, stats, clock.Elapsed, problems.Lines);
        }

        if (site.CreateBucket && !settings.DryRun)
        {
            try
            {
                if (await (store.Buckets ?? throw StoreCapabilities.Missing("create buckets")).CreateBucketIfMissingAsync(site.Endpoint is null ? site.Region : null, cancellationToken).ConfigureAwait(false))
                    logger.LogInformation("site {Site}: created bucket {Bucket} (create_bucket)", site.Name, site.Bucket);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The listing that follows says what is wrong with the bucket (missing, no access, credentials).
                logger.LogWarning("site {Site}: could not create bucket {Bucket}: {Error}", site.Name, site.Bucket, StoreErrors.Describe(e));
            }
        }

        var run = new SiteRun(site, logger, problems, walkWarnings: true);
        var checkSettings = settings.Ledger?.NeedsCheck(site) == true;
        if (checkSettings)
            logger.LogInformation("site {Site}: the headers, ACL or encryption settings changed: each object's are compared (a HEAD per object) and brought in line", site.Name);
        var knownMounts = settings.Mounts?.Recall(site) ?? [];
        var planner = run.Planner(store, digests, PlanFactory.Sync(settings.Deep, checkSettings, knownMounts, settings.Comparison, settings.ModifiedSince, settings.DeleteExcluded));

        using var deletes = new KeySpill();
        var runStarted = settings.RunStarted ?? settings.Time.GetUtcNow();
        var backup = site.BackupPath is null ? null : new BackupPlace(site, store, runStarted);
        var moves = settings.Moves ? new MoveFinder(site, store, digests, logger, settings.LogActions) : null;
        // New files wait for the end of the plan (the object they were moved from may come later in key order), at
        // most MostDeferred of them: beyond, they are uploaded as they come.
        var deferred = new List<PlanEntry>();
        long localFiles = 0;
        var own = pool is null ? new Uploader(settings.Workers, settings.QueueBuffer, logger, cancellationToken, settings.Limits?.Buffers) : null;
        try
        {
            var uploader = (pool ?? own!).Batch(site, store, digests, cancellationToken, settings.LogActions);
            if (backup is not null) uploader.BeforeOverwrite = backup.SaveAsync;
            uploader.Completed += result =>
            {
                var entry = result.Entry;
                switch (result.Outcome)
                {
                    case UploadOutcome.Uploaded:
                        stats.AddUploaded(result.Bytes);
                        Acted?.Invoke(new ActionEvent(ActionLine.Upload, entry.Key, ActionStatus.Done, entry.Reason, result.Bytes));
                        break;
                    case UploadOutcome.ChangedInPlace:
                        stats.AddChangedInPlace();
                        Acted?.Invoke(new ActionEvent(ActionLine.Copy, entry.Key, ActionStatus.Done, entry.Reason, Detail: result.Detail));
                        break;
                    case UploadOutcome.Vanished:
                        stats.AddSkipped();
                        Acted?.Invoke(new ActionEvent(Verb(entry.Action), entry.Key, ActionStatus.Skipped, entry.Reason, Why: "deleted before it could be read"));
                        break;
                    default:
                        stats.AddFailed();
                        problems.Add($"{entry.Key}: {result.Error}");
                        Acted?.Invoke(new ActionEvent(Verb(entry.Action), entry.Key, ActionStatus.Failed, entry.Reason, Why: result.Error));
                        break;
                }
                Uploaded?.Invoke(result);
            };
            await run.PlanAsync(planner, async entry =>
            {
                Planned?.Invoke(entry);
                if (entry.Local is not null) localFiles++;
                // Not when the prefix holds nothing to move from (a first upload): the uploads then start as the plan streams.
                if (moves is not null && entry is { Action: PlanAction.Upload, Remote: null, Local.LinkTarget: null } && deferred.Count < MostDeferred
                    && !(planner.ListingDone && planner.RemoteCount == 0))
                {
                    deferred.Add(entry);
                    return;
                }
                switch (entry.Action)
                {
                    case PlanAction.Upload or PlanAction.ChangeStorageClass or PlanAction.ChangeMetadata when settings.DryRun:
                        if (entry.Action == PlanAction.Upload) stats.AddUploaded(entry.Local!.Size);
                        else stats.AddChangedInPlace();
                        Acted?.Invoke(SiteRun.Planned(entry, entry.Action == PlanAction.Upload ? entry.Local!.Size : null, entry.Action switch
                        {
                            PlanAction.ChangeStorageClass => site.StorageClass,
                            PlanAction.ChangeMetadata => entry.Detail,
                            _ => null,
                        }));
                        break;
                    case PlanAction.Upload or PlanAction.ChangeStorageClass or PlanAction.ChangeMetadata:
                        await uploader.EnqueueAsync(entry, cancellationToken).ConfigureAwait(false);
                        break;
                    case PlanAction.Delete:
                        deletes.Add(entry.Key);
                        moves?.AddDeleted(entry.Remote!);
                        break;
                    default:
                        if (entry.Reason == ChangeReason.InSync && entry.Remote is { } same) moves?.AddUnchanged(same);
                        Count(entry, stats, (k, m) => problems.Failure(k, m));
                        if (entry.Reason == ChangeReason.Vanished)
                            Acted?.Invoke(new ActionEvent(ActionLine.Upload, entry.Key, ActionStatus.Skipped, entry.Reason, Why: "deleted before it could be read"));
                        break;
                }
            }, cancellationToken).ConfigureAwait(false);
            PlanComplete?.Invoke();
            if (deferred.Count > 0)
                await PlaceNewFilesAsync(deferred, planner.Complete && run.Status == SiteStatus.Done ? moves : null, uploader, stats, cancellationToken).ConfigureAwait(false);
            await uploader.DrainAsync().ConfigureAwait(false);
        }
        finally
        {
            if (own is not null) await own.DisposeAsync().ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();

        // Every complete listing sets the guard's base, deletions or not: watch's events between full syncs are
        // counted against it (a percentage of 0 objects would hold every event deletion).
        var status = run.Finish(planner, deletes.Count > 0 || site.RetireDeleted, () => _deletions.Incomplete(deletes, Acted), Notice)
            ? await DeleteAsync(deletes, moves?.Moved ?? EmptyKeys, backup, localFiles, planner.RemoteCount, stats, (k, m) => problems.Failure(k, m), problems.Add, cancellationToken).ConfigureAwait(false)
            : run.Status;
        if (planner.HeldByUnmounted > 0 && status is not (SiteStatus.Failed or SiteStatus.Credentials))
        {
            // An unmounted sub-mount is refused like an unmounted root: its objects are held, the run says so (exit 4).
            var folders = string.Join(", ", planner.Unmounted.Select(f => Path.Join(site.LocalPath, f)));
            var message = $"{folders} was a mount point at the last sync and is now an empty folder on its parent's file system; refusing to delete the {planner.HeldByUnmounted} objects under it (is it mounted?). If it is gone for good, remove the empty folder";
            logger.LogError("site {Site}: {Message}", site.Name, message);
            problems.Add(message);
            status = SiteStatus.DeletesRefused;
        }
        // A dry run changes nothing: no open upload is aborted, the cache and the ledgers keep what they hold.
        if (settings.DryRun) return new SiteResult(site, status, stats, clock.Elapsed, problems.Lines) { LinksSkipped = run.Links.Count, SpecialFilesSkipped = run.Specials.Count };

        if (planner.Complete && settings.Mounts is { } mounts && !mounts.Record(site, planner.MountPoints.Concat(planner.Unmounted)))
            logger.LogWarning("site {Site}: could not record the mount points under local_path in the state folder", site.Name);

        if (settings.AbortUploadsStartedBefore is { } cutoff && planner.Complete && !await AbortStaleUploadsAsync(cutoff, problems.Add, cancellationToken).ConfigureAwait(false)
            && status == SiteStatus.Done)
            status = SiteStatus.Failed;

        if (planner.Complete)
        {
            var forgotten = digests.ForgetGone(localFiles, key => site.Filter.Includes(key) && File.Exists(Path.Combine(site.LocalPath, key)));
            if (forgotten > 0) logger.LogInformation("site {Site}: the hash cache forgot {Count} files that are gone", site.Name, forgotten);
        }

        if (stats.Failed > 0 && status == SiteStatus.Done) status = SiteStatus.Failed;
        // backup_keep: run folders older than the period go at the end of a complete run that went well.
        if (status == SiteStatus.Done && planner.Complete && site.BackupKeep is { } keep)
            status = await ExpireBackupsAsync(keep, runStarted, problems, cancellationToken).ConfigureAwait(false);
        // Every object now matches the settings: the next run need not look at each again.
        if ((checkSettings || settings.Deep) && status == SiteStatus.Done && planner.Complete && settings.Ledger is { } ledger && !ledger.Record(site))
            logger.LogWarning("site {Site}: could not record the applied settings in the state folder; the next sync compares every object again", site.Name);
        return new SiteResult(site, status, stats, clock.Elapsed, problems.Lines) { LinksSkipped = run.Links.Count, SpecialFilesSkipped = run.Specials.Count };
    }

    /// <summary>The level of a summary warning: a warning when its count changed since the last run (or nothing is
    /// remembered), else debug. A dry run compares but records nothing; an incomplete walk (which may have missed some) neither compares nor records.</summary>
    private LogLevel Notice(string kind, int count, bool complete)
    {
        if (settings.Notices is not { } notices) return LogLevel.Warning;
        if (!complete) return count == 0 ? LogLevel.Debug : LogLevel.Warning;
        return notices.Changed(site, kind, count, record: !settings.DryRun) ? LogLevel.Warning : LogLevel.Debug;
    }

    /// <summary>
    /// How long nothing must have happened to an open multipart upload (no creation, no part stored) before a run takes
    /// it for abandoned and aborts it: twice <see cref="Uploader.IdleLimit"/>, after which every live run has given the
    /// upload up itself. The times compared are the server's (Initiated, each part's LastModified) against this clock;
    /// SigV4 refuses a request from a clock more than 15 minutes off the server's, so the margin of
    /// <see cref="Uploader.IdleLimit"/> is far beyond any skew a working run can have.
    /// </summary>
    public static readonly TimeSpan AbandonedAfter = 2 * Uploader.IdleLimit;

    /// <summary>
    /// Aborts the open multipart uploads under the prefix (and inside the filters) that are provably nobody's upload in
    /// flight: initiated before the cutoff (not this run's) and idle for <see cref="AbandonedAfter"/>: created that long
    /// ago and no part stored since (ListParts). Another sync, watch or tool writing to the same prefix right now keeps
    /// its upload: its creation or its last part is recent. ListMultipartUploads shows no metadata, so s3sync cannot tell
    /// its uploads from another tool's: the prefix is the site's own (sites may not overlap when deleting). An upload
    /// whose parts cannot be listed is kept. A store that cannot list uploads only earns a warning: this is housekeeping.
    /// </summary>
    /// <returns>False when the listing of open uploads never ends (a looping server): that fails the site.</returns>
    private async Task<bool> AbortStaleUploadsAsync(DateTime cutoff, Action<string> problem, CancellationToken cancellationToken)
    {
        var aborted = 0;
        try
        {
            var idleSince = settings.Time.GetUtcNow().UtcDateTime - AbandonedAfter;
            var stale = new List<OpenUpload>();
            if (store.Multipart is not { } multipart) return true; // a store without multipart uploads has none open
            await foreach (var upload in multipart.ListOpenUploadsAsync(cancellationToken).ConfigureAwait(false))
            {
                if (upload.InitiatedUtc >= cutoff || upload.InitiatedUtc >= idleSince) continue;
                if (!site.Filter.Includes(upload.Key)) continue;
                stale.Add(upload);
            }
            foreach (var upload in stale)
            {
                DateTime? lastPart;
                try
                {
                    lastPart = await multipart.LastPartAsync(upload.Key, upload.UploadId, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    logger.LogDebug("{Key}: open multipart upload kept: its parts cannot be listed ({Error})", store.Location.Join(upload.Key), StoreErrors.Describe(e));
                    continue;
                }
                if (lastPart >= idleSince)
                {
                    logger.LogDebug("{Key}: open multipart upload kept: a part was stored {At:u}, it may be another run's in flight", store.Location.Join(upload.Key), lastPart);
                    continue;
                }
                await multipart.AbortMultipartAsync(upload.Key, upload.UploadId, cancellationToken).ConfigureAwait(false);
                aborted++;
                logger.LogDebug("{Key}: aborted a stale multipart upload started {Initiated:u}", store.Location.Join(upload.Key), upload.InitiatedUtc);
            }
        }
        catch (ListingLoopException e)
        {
            logger.LogError("site {Site}: could not clean up stale multipart uploads: {Error}", site.Name, e.Message);
            problem($"could not clean up stale multipart uploads: {e.Message}");
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("site {Site}: could not clean up stale multipart uploads: {Error}", site.Name, StoreErrors.Describe(e));
        }
        if (aborted > 0) logger.LogInformation("site {Site}: aborted {Count} multipart uploads left by an earlier run (idle for more than {Hours} h)", site.Name, aborted, AbandonedAfter.TotalHours);
        return true;
    }

    private static void Count(PlanEntry entry, SiteStats stats, Action<string?, string> problem)
    {
        switch (entry.Reason)
        {
            case ChangeReason.InSync: stats.AddUnchanged(); break;
            case ChangeReason.RemoteOnlyKept or ChangeReason.Archived or ChangeReason.OutsideWindow: stats.AddKept(); break;
            case ChangeReason.Vanished: stats.AddSkipped(); break;
            case ChangeReason.Error or ChangeReason.CannotCompare:
                stats.AddFailed();
                problem(entry.Key, entry.Detail ?? "cannot compare");
                break;
        }
    }

    /// <summary>The verb of an action's <see cref="ActionLine"/>.</summary>
    public static string Verb(PlanAction action) => action switch
    {
        PlanAction.ChangeStorageClass or PlanAction.ChangeMetadata => ActionLine.Copy,
        PlanAction.Delete => ActionLine.Delete,
        PlanAction.Download => ActionLine.Download,
        PlanAction.ApplyMetadata => ActionLine.Metadata,
        _ => ActionLine.Upload,
    };

    private static readonly IReadOnlySet<string> EmptyKeys = new HashSet<string>();

    /// <summary>The most new files held back for <see cref="MoveFinder"/> until the plan ends (a PlanEntry each).</summary>
    public const int MostDeferred = 100_000;

    /// <summary>
    /// The new files held back until the end of the plan: each one whose content the site already holds is copied
    /// server-side (<see cref="MoveFinder"/>; <paramref name="moves"/> null after an incomplete plan: none is), the
    /// others are queued for upload. A few at a time: each is a local read (often the cache's) and two or three requests.
    /// </summary>
    private async Task PlaceNewFilesAsync(List<PlanEntry> entries, MoveFinder? moves, UploadBatch uploader, SiteStats stats, CancellationToken cancellationToken)
    {
        var uploads = System.Threading.Channels.Channel.CreateUnbounded<PlanEntry>();
        var feeder = Task.Run(async () =>
        {
            await foreach (var entry in uploads.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                await UploadOrForecastAsync(entry, uploader, stats, cancellationToken).ConfigureAwait(false);
        }, CancellationToken.None);
        try
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Clamp(settings.Workers, 1, 16), CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(entries, options, async (entry, token) =>
            {
                if (moves is not null && moves.MayMatch(entry.Local!.Size) && await moves.TryAsync(entry, settings.DryRun, token).ConfigureAwait(false) is { } moved)
                {
                    stats.AddChangedInPlace();
                    Acted?.Invoke(new ActionEvent(moved.Verb, entry.Key, settings.DryRun ? ActionStatus.Planned : ActionStatus.Done, entry.Reason, From: moved.From));
                    return;
                }
                uploads.Writer.TryWrite(entry);
            }).ConfigureAwait(false);
        }
        finally
        {
            uploads.Writer.TryComplete();
            await feeder.ConfigureAwait(false);
        }
    }

    /// <summary>An upload queued, or in a dry run reported as planned (counted as if done).</summary>
    private async Task UploadOrForecastAsync(PlanEntry entry, UploadBatch uploader, SiteStats stats, CancellationToken cancellationToken)
    {
        if (!settings.DryRun)
        {
            await uploader.EnqueueAsync(entry, cancellationToken).ConfigureAwait(false);
            return;
        }
        stats.AddUploaded(entry.Local!.Size);
        Acted?.Invoke(new ActionEvent(ActionLine.Upload, entry.Key, ActionStatus.Planned, entry.Reason, entry.Local!.Size));
    }

    /// <summary>
    /// <c>backup_keep</c>: removes the run folders under <c>backup_path</c> older than <paramref name="keep"/>, through
    /// the delete guard's rules (<c>max_delete</c> of the objects under the backup place; a refusal removes nothing and
    /// ends the run with exit 4). A dry run reports what it would remove. The period counts back from the run's start
    /// (<paramref name="runStarted"/>), never from its end: a run longer than the period keeps its own folder.
    /// </summary>
    private async Task<SiteStatus> ExpireBackupsAsync(TimeSpan keep, DateTimeOffset runStarted, SiteProblems problems, CancellationToken cancellationToken)
    {
        (IReadOnlyList<string> Keys, IReadOnlyList<string> Runs, long Objects)? expired;
        try
        {
            expired = await BackupPlace.ExpiredAsync(site, store, keep, runStarted, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("site {Site}: could not list the backup place s3://{Bucket}/{Prefix}: {Error}", site.Name, site.Bucket, site.BackupPath, StoreErrors.Describe(e));
            return SiteStatus.Done;
        }
        if (expired is not { Keys.Count: > 0 } found) return SiteStatus.Done;
        var limit = settings.MaxDelete ?? site.MaxDelete;
        if (!limit.Allows(found.Keys.Count, found.Objects))
        {
            var message = $"backup_keep would delete {found.Keys.Count} of {found.Objects} objects under s3://{site.Bucket}/{BackupPlace.PrefixOf(site)} (run folders {string.Join(", ", found.Runs.Select(r => r.TrimEnd('/')))}), more than max_delete {limit}; nothing was deleted. If that is intended, run again with --max-delete {found.Keys.Count}";
            logger.LogError("site {Site}: {Message}", site.Name, message);
            problems.Failure(null, message);
            return SiteStatus.DeletesRefused;
        }
        if (settings.DryRun)
        {
            foreach (var run in found.Runs) logger.LogInformation("site {Site}: (dryrun) backup_keep: would remove the run folder {Run} under s3://{Bucket}/{Prefix}", site.Name, run.TrimEnd('/'), site.Bucket, BackupPlace.PrefixOf(site));
            return SiteStatus.Done;
        }
        using var place = store.At(BackupPlace.PrefixOf(site));
        var failed = await place.DeleteAsync(found.Keys, cancellationToken).ConfigureAwait(false);
        foreach (var (key, error) in failed) problems.Add($"{place.Location.Join(key)}: backup_keep could not delete it: {error}");
        logger.LogInformation("site {Site}: backup_keep removed {Count} run folders older than {Keep} ({Objects} objects)", site.Name, found.Runs.Count, keep, found.Keys.Count - failed.Count);
        return failed.Count > 0 ? SiteStatus.Failed : SiteStatus.Done;
    }

    /// <summary>The run's deletions through the <see cref="DeletionStage"/> (moved objects' old keys not counted by the
    /// guard, and deleted even when the others are held; with backup_path each saved first); what it refused is said
    /// here, once, with the flag that applies it.</summary>
    private async Task<SiteStatus> DeleteAsync(KeySpill keys, IReadOnlySet<string> moved, BackupPlace? backup, long localFiles, long remoteCount, SiteStats stats, Action<string?, string> siteProblem, Action<string> problem, CancellationToken cancellationToken)
    {
        var outcome = await _deletions.FullSyncAsync(keys, remoteCount, localFiles, settings.DryRun, Acted, cancellationToken, moved, backup).ConfigureAwait(false);
        var status = SiteStatus.Done;
        switch (outcome.Refusal)
        {
            case DeletionRefusal.EmptyRoot:
            {
                var message = $"local_path {site.LocalPath} is empty while s3://{site.Bucket}/{site.ListPrefix} holds {remoteCount} objects; refusing to delete them (is the disk mounted?)";
                logger.LogError("site {Site}: {Message}", site.Name, message);
                siteProblem(null, message);
                return SiteStatus.DeletesRefused;
            }
            case DeletionRefusal.MaxDelete:
            {
                var counted = keys.Count - moved.Count;
                var earlier = outcome.Verdict.InWindow - counted;
                var window = earlier > 0 ? $" (with {earlier} deleted in the last {_deletions.Guard.Window.TotalSeconds:0} s)" : "";
                var movedNote = moved.Count > 0 ? $" (besides {moved.Count} moved)" : "";
                var message = $"would delete {counted} of {remoteCount} objects under s3://{site.Bucket}/{site.ListPrefix}{window}{movedNote}, more than max_delete {_deletions.Guard.Limit}; nothing{(moved.Count > 0 ? " else" : "")} was deleted. If that is intended, run again with --max-delete {outcome.Verdict.InWindow} (or set max_delete)";
                logger.LogError("site {Site}: {Message}", site.Name, message);
                siteProblem(null, message);
                status = SiteStatus.DeletesRefused;
                break;
            }
        }
        stats.AddDeleted(outcome.Deleted);
        foreach (var (key, error) in outcome.Failed)
        {
            stats.AddFailed();
            problem($"{key}: delete failed: {error}");
        }
        foreach (var (key, error) in outcome.Unsaved ?? [])
        {
            stats.AddFailed();
            problem($"{key}: {error}");
        }
        return outcome.Failed.Count > 0 || outcome.Unsaved is { Count: > 0 } ? SiteStatus.Failed : status;
    }
}
