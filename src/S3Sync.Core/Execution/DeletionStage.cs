using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;

namespace S3Sync.Execution;

/// <summary>
/// The one deletion stage of a site's objects: <c>sync</c>'s runs (and their dry runs), and <c>watch</c>'s full syncs
/// and event deletions all pass their deletions through it. It asks the one <see cref="DeleteGuard"/>, holds what the
/// guard refuses (and, for watch, everything after a refusal until a full sync decides again: <see cref="Holding"/>),
/// deletes the rest through the <see cref="SiteDeleter"/>, reports every key as one <see cref="ActionEvent"/> (done,
/// planned, failed or held, with why) and counts them in a <see cref="DeletionOutcome"/>. What the callers say in
/// their logs stays theirs (a sync names the flag to apply held deletions, a watch one line per burst).
/// </summary>
/// <remarks>A sync run makes one stage with a guard of its own; a watch keeps one stage per site for as long as the
/// site runs (a reload passes the guard on), and its full syncs use that stage, so one window and one holding state
/// cover them and the events between them. A restore (<see cref="ForRestore"/>) makes one too, the other way round:
/// it deletes files of the target folder (<see cref="LocalDeleter"/>), the bucket is the source, and an empty prefix
/// is the empty root.</remarks>
public sealed class DeletionStage
{
    private readonly Site site;
    private readonly IObjectStore? store;
    private readonly DeleteGuard guard;
    private readonly ILogger logger;
    private readonly bool nameSite;
    // Event deletions name the site in their lines (watch's sites interleave); a full sync's say the key alone, as sync's.
    private readonly IDeleter _events;
    private readonly IDeleter _fullSync;
    // What each reported deletion is (only in S3: sync, watch; only on disk: restore), and why an empty source holds them.
    private readonly ChangeReason _reason;
    private readonly string _emptyWhy;
    private volatile bool _holding;

    public DeletionStage(Site site, IObjectStore store, DeleteGuard guard, ILogger logger, bool nameSite = false, bool logsActions = true)
        : this(site, store, guard, logger, nameSite, new SiteDeleter(site, store, logger, nameSite, logsActions), new SiteDeleter(site, store, logger, nameSite: false, logsActions),
            ChangeReason.RemoteOnly, "local_path is empty")
    {
    }

    private DeletionStage(Site site, IObjectStore? store, DeleteGuard guard, ILogger logger, bool nameSite, IDeleter events, IDeleter fullSync, ChangeReason reason, string emptyWhy)
    {
        _reason = reason;
        _emptyWhy = emptyWhy;
        this.site = site;
        this.store = store;
        this.guard = guard;
        this.logger = logger;
        this.nameSite = nameSite;
        _events = events;
        _fullSync = fullSync;
    }

    /// <summary>restore --delete: the stage that deletes files of the target folder (null in a dry run, which deletes
    /// nothing) through the same guard, holding and reporting as sync's deletions in S3.</summary>
    public static DeletionStage ForRestore(Site site, TargetFolder? target, DeleteGuard guard, ILogger logger, bool logsActions = true)
    {
        var deleter = new LocalDeleter(target, logger, logsActions);
        return new DeletionStage(site, null, guard, logger, nameSite: false, deleter, deleter, ChangeReason.LocalOnly, "the bucket prefix is empty");
    }

    public DeleteGuard Guard => guard;

    /// <summary><c>backup_path</c> of watch's event deletions: each object is copied there (and the copy proved) before it
    /// is deleted; a key whose copy fails is kept and reported as failed (<see cref="DeletionOutcome.Unsaved"/>). Null:
    /// none. A full sync passes its own run's place to <see cref="FullSyncAsync"/>.</summary>
    public BackupPlace? Backup { get; set; }

    private static readonly IReadOnlySet<string> NoKeys = new HashSet<string>();

    /// <summary>True once deletions were held and no full sync decided them since: event deletions are held too.</summary>
    public bool Holding => _holding;

    /// <summary>A full sync decided every deletion again: <paramref name="holding"/> says whether it refused some.</summary>
    public void Decided(bool holding) => _holding = holding;

    /// <summary>Holds <paramref name="keys"/> (relative to the prefix) without asking the guard: the walk or the listing did not complete.</summary>
    public DeletionOutcome Incomplete(KeySpill keys, Action<ActionEvent>? acted)
    {
        Report(keys.Batches(), ActionStatus.Held, "the walk or the listing did not complete", acted);
        return new DeletionOutcome(DeletionRefusal.Incomplete, 0, [], keys.Count, default);
    }

    /// <summary>
    /// A full sync's deletions (keys relative to the prefix), after its walk and listing completed: <paramref name="objects"/> (the
    /// listing's count of managed objects) becomes the guard's base; <paramref name="localFiles"/> 0 is an empty root.
    /// A dry run asks the guard as the run would and reports the allowed deletions as planned.
    /// </summary>
    /// <param name="moved">Keys (relative) whose content a move put at another key: not counted by the guard, deleted
    /// even when the others are held, and without a line of their own.</param>
    /// <param name="backup">Where each object is saved before it is deleted (<c>backup_path</c>), or null.</param>
    public async Task<DeletionOutcome> FullSyncAsync(KeySpill keys, long objects, long localFiles, bool dryRun, Action<ActionEvent>? acted, CancellationToken cancellationToken,
        IReadOnlySet<string>? moved = null, BackupPlace? backup = null)
    {
        moved ??= NoKeys;
        if (keys.Count == 0)
        {
            guard.Observe(objects);
            return DeletionOutcome.Nothing;
        }
        // A deletion whose content a move put at another key of the site loses nothing: the guard counts the others.
        var counted = keys.Count - moved.Count;
        var verdict = guard.Check(counted, objects, localFiles);
        if (verdict.EmptyRoot || (!verdict.Allowed && moved.Count == 0)) return Refuse(keys.Batches(), keys.Count, verdict, acted);
        if (!verdict.Allowed)
        {
            // The others are held; the moved objects' old keys still go (their content lives at the new key).
            Report(keys.Batches(), ActionStatus.Held, $"more than max_delete {guard.Limit}", acted, moved);
            if (dryRun) return new DeletionOutcome(DeletionRefusal.MaxDelete, moved.Count, [], counted, verdict);
            var done = await DeleteAsync(_fullSync, [[.. moved]], verdict, acted, cancellationToken, moved, backup).ConfigureAwait(false);
            return done with { Refusal = DeletionRefusal.MaxDelete, Held = counted };
        }
        if (dryRun)
        {
            Report(keys.Batches(), ActionStatus.Planned, null, acted, moved);
            return new DeletionOutcome(DeletionRefusal.None, keys.Count, [], 0, verdict);
        }
        return await DeleteAsync(_fullSync, keys.Batches(), verdict, acted, cancellationToken, moved, backup).ConfigureAwait(false);
    }

    /// <summary>
    /// Watch's event deletions between full syncs: <paramref name="items"/> are keys relative to the prefix, or folders
    /// ("dir/": every managed key listed below it). Only keys whose file is really gone from <paramref name="root"/>
    /// now are deleted; none when the root is not the one watched (<paramref name="rootThere"/> false) or is empty.
    /// Counted against the guard's base from the last complete listing, in the same window as the full syncs'.
    /// </summary>
    public async Task<DeletionOutcome> EventsAsync(IReadOnlyList<string> items, string root, bool rootThere, Action<ActionEvent>? acted, CancellationToken cancellationToken)
    {
        if (store is null) throw new InvalidOperationException("a restore has no event deletions");
        var keys = new List<string>();
        foreach (var item in items)
        {
            if (!item.EndsWith('/')) { keys.Add(item); continue; }
            await foreach (var o in store.ListAsync(item, null, cancellationToken).ConfigureAwait(false))
            {
                // folders: true: the folder's marker and those below it are the site's too (a folder gone is a
                // marker to retire, as in sync); otherwise keys ending in '/' are left alone.
                if (o.Key.EndsWith('/') && (!site.Folders || o.Size > 0)) continue;
                var key = o.Key;
                if (site.Filter.Includes(key)) keys.Add(key);
            }
        }
        // Never delete when the folder itself is gone, or empty: an unmounted disk is not a deleted tree. Nor when
        // local_path is another folder now than the one watched (replaced by a rename, a mount): the events were of the old one.
        var gone = rootThere ? keys.Where(k => !File.Exists(root + "/" + k) && !Directory.Exists(root + "/" + k)).Distinct(StringComparer.Ordinal).ToList() : [];
        if (gone.Count == 0) return DeletionOutcome.Nothing;
        var verdict = guard.CheckEvents(gone.Count, !Directory.EnumerateFileSystemEntries(root).Any());
        if (!verdict.Allowed || (_holding && !verdict.EmptyRoot))
            return Refuse([gone], gone.Count, verdict, acted, events: true);
        return await DeleteAsync(_events, [gone], verdict, acted, cancellationToken, backup: Backup).ConfigureAwait(false);
    }

    /// <param name="events">Event deletions: a refusal other than an empty root holds every later one (a full sync's
    /// refusal is the watcher's to record, through <see cref="Decided"/>, once the sync is over).</param>
    private DeletionOutcome Refuse(IEnumerable<IReadOnlyList<string>> batches, long count, DeleteVerdict verdict, Action<ActionEvent>? acted, bool events = false)
    {
        var refusal = verdict.EmptyRoot ? DeletionRefusal.EmptyRoot : verdict.Allowed ? DeletionRefusal.Holding : DeletionRefusal.MaxDelete;
        // An empty root is not a decision about these deletions (the disk may come back): nothing is held on for it.
        if (events && refusal != DeletionRefusal.EmptyRoot) _holding = true;
        Report(batches, ActionStatus.Held, refusal switch
        {
            DeletionRefusal.EmptyRoot => _emptyWhy,
            DeletionRefusal.Holding => "earlier deletions are held until a full sync decides them",
            _ => $"more than max_delete {guard.Limit}",
        }, acted);
        return new DeletionOutcome(refusal, 0, [], count, verdict);
    }

    private async Task<DeletionOutcome> DeleteAsync(IDeleter deleter, IEnumerable<IReadOnlyList<string>> batches, DeleteVerdict verdict, Action<ActionEvent>? acted, CancellationToken cancellationToken,
        IReadOnlySet<string>? moved = null, BackupPlace? backup = null)
    {
        List<(string Key, string Error)>? unsaved = null;
        if (backup is not null) (batches, unsaved) = await SavedFirstAsync(backup, batches, acted, cancellationToken).ConfigureAwait(false);
        var outcome = await deleter.DeleteAsync(batches, cancellationToken,
            deleted: acted is null ? null : key => acted(new ActionEvent(ActionLine.Delete, key, ActionStatus.Done, _reason)),
            failed: acted is null ? null : (key, error) => acted(new ActionEvent(ActionLine.Delete, key, ActionStatus.Failed, _reason, Why: error)),
            silent: moved).ConfigureAwait(false);
        return new DeletionOutcome(DeletionRefusal.None, outcome.Deleted, outcome.Failed, 0, verdict, unsaved);
    }

    /// <summary>The keys of <paramref name="batches"/> (relative to the prefix) whose backup copy was made and proved, a few at a time;
    /// each other one is kept, logged and reported as a failed deletion.</summary>
    private async Task<(IEnumerable<IReadOnlyList<string>> Saved, List<(string Key, string Error)> Unsaved)> SavedFirstAsync(BackupPlace backup, IEnumerable<IReadOnlyList<string>> batches,
        Action<ActionEvent>? acted, CancellationToken cancellationToken)
    {
        var saved = new List<IReadOnlyList<string>>();
        var unsaved = new List<(string Key, string Error)>();
        var options = new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken };
        foreach (var batch in batches)
        {
            var ok = new bool[batch.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, batch.Count), options, async (i, token) =>
            {
                var key = batch[i];
                if (await backup.SaveAsync(key, token).ConfigureAwait(false) is not { } why)
                {
                    ok[i] = true;
                    return;
                }
                if (nameSite) logger.LogError("site {Site}: {Key}: not deleted: {Error}", site.Name, key, why);
                else logger.LogError("{Key}: not deleted: {Error}", key, why);
                lock (unsaved) unsaved.Add((key, $"not deleted: {why}"));
                acted?.Invoke(new ActionEvent(ActionLine.Delete, key, ActionStatus.Failed, ChangeReason.RemoteOnly, Why: $"not deleted: {why}"));
            }).ConfigureAwait(false);
            saved.Add([.. batch.Where((_, i) => ok[i])]);
        }
        return (saved, unsaved);
    }

    private void Report(IEnumerable<IReadOnlyList<string>> batches, ActionStatus status, string? why, Action<ActionEvent>? acted, IReadOnlySet<string>? moved = null)
    {
        if (acted is null) return;
        foreach (var batch in batches)
            foreach (var key in batch)
                if (moved?.Contains(key) != true) acted(new ActionEvent(ActionLine.Delete, key, status, _reason, Why: why));
    }
}
