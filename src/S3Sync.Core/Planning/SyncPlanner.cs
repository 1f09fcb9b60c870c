using System.Runtime.CompilerServices;
using S3Sync.Config;
using S3Sync.Local;
using S3Sync.Remote;

namespace S3Sync.Planning;

/// <summary>
/// Turns a site into a stream of <see cref="PlanEntry"/> in key order: walk, listing, merge, compare. The one
/// implementation behind <c>sync</c>, <c>sync --dry-run</c>, <c>verify</c> and <c>restore</c>. Nothing here writes.
/// </summary>
/// <remarks>With <see cref="PlanOptions.Download"/> (restore) the same merge and the same comparison run the other way
/// round: only in S3 → <see cref="PlanAction.Download"/>; both and different by content (or not comparable) →
/// download; same content but other mode, owner or mtime → <see cref="PlanAction.ApplyMetadata"/>; storage class does
/// not matter; archived objects are reported (a GET needs an S3 restore first); only on disk → kept
/// (<see cref="ChangeReason.LocalOnlyKept"/>), or deleted with <c>retire_deleted</c>/<c>--delete</c>
/// (<see cref="ChangeReason.LocalOnly"/>). A key that cannot be a file (<see cref="RestorePath"/>) or that lies below
/// another key's file is an error entry, never a write; leftover temporary files of a killed restore come out as
/// <see cref="ChangeReason.Vanished"/> entries for the executor to remove.</remarks>
public sealed class SyncPlanner(Site site, IObjectStore store, IDigestSource digests, PlanOptions options, Action<WalkIssue>? report = null)
{
    private LocalWalker? _walker;
    private bool _listed;

    /// <summary>True once the plan has been read to the end with the walk and the listing both complete.</summary>
    public bool Complete => (_walker is { Complete: true } || _noTarget) && _listed;

    private bool _noTarget;

    /// <summary>
    /// The objects this site manages, counted as the listing streams: the base of the delete guard's percentage.
    /// Folder markers and keys the filters leave out are under the prefix but not the site's, so they do not count
    /// (100 excluded *.log objects must not let 29 of 30 managed files go under a 50 % limit).
    /// </summary>
    public long RemoteCount { get; private set; }

    /// <summary>True once the listing has handed its last object to the merge: <see cref="RemoteCount"/> is then final
    /// (an empty prefix is known as soon as its one page came back).</summary>
    public bool ListingDone => _listingDone;

    private volatile bool _listingDone;

    /// <summary>The folders that are mount points now (<see cref="LocalWalker.MountPoints"/>), once the walk is over.</summary>
    public IReadOnlyList<string> MountPoints => _walker?.MountPoints ?? [];

    /// <summary>Sub-mounts that are not mounted now (<see cref="LocalWalker.Unmounted"/>).</summary>
    public IReadOnlyList<string> Unmounted => _walker?.Unmounted ?? [];

    /// <summary>Objects that would have been deleted but lie under an <see cref="Unmounted"/> folder: held.</summary>
    public long HeldByUnmounted { get; private set; }

    public async IAsyncEnumerable<PlanEntry> PlanAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // A restore lists its own temporary files (and removes an interrupted restore's); an upload never sees them.
        _walker = new LocalWalker(site, report, options.KnownMounts) { ListsRestoreTemps = options.Download };
        // Hashing is bounded by the cores, the window by the network: a HEAD never waits behind a read.
        using var hashing = new GatedDigestSource(digests, options.Parallelism);
        var detector = PlanFactory.Detector(site, options, hashing, new StoreFingerprints(store));
        // A restore's target folder that does not exist yet (a dry run creates nothing) holds no files.
        _noTarget = options.Download && !Directory.Exists(site.LocalPath) && !File.Exists(site.LocalPath);
        var local = _noTarget ? AsyncEnumerable.Empty<LocalEntry>() : _walker.WalkAsync(cancellationToken);
        var merged = KeyMerger.MergeAsync(local, ListAsync(cancellationToken), cancellationToken);

        // A window of comparisons in flight, yielded in order: hashing runs in parallel, the plan stays sorted.
        var window = new Queue<Task<PlanEntry>>();
        await foreach (var item in merged.ConfigureAwait(false))
        {
            window.Enqueue(DecideAsync(item, detector, cancellationToken));
            while (window.Count >= Math.Max(options.Window, options.Parallelism) || (window.Count > 0 && window.Peek().IsCompleted))
                yield return await window.Dequeue().ConfigureAwait(false);
        }
        while (window.Count > 0) yield return await window.Dequeue().ConfigureAwait(false);
        _listed = true;
    }

    private async IAsyncEnumerable<RemoteObject> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var listing = options.At is { } at
            ? RangeListing.ListAtAsync(store, at, cancellationToken)
            : site.Filter.Shard is { } shard
            ? RangeListing.ListShardAsync(store, shard, cancellationToken)
            : RangeListing.ListAsync(store, cancellationToken);
        await foreach (var o in listing.ConfigureAwait(false))
        {
            // Folder markers ("a/b/") are the site's folders with folders: true (the walk lists each folder under the
            // same key); without it they have no local twin and are left alone; so are excluded keys. One that holds
            // data is no folder's marker: left alone, and counted for a restore, which reports it (it cannot be a file).
            if (o.Key.Length == 0) continue;
            // Another shard's key is never this run's, not even with --delete-excluded (a listing that could not be
            // split by folder brings every key).
            if (site.Filter.Shard is { } part && !part.Owns(o.Key)) continue;
            if (o.Key.EndsWith('/') && (!site.Folders || o.Size > 0))
            {
                if (options.Download && o.Size > 0 && site.Filter.Includes(o.Key) && FolderKeysWithDataCount++ < 5) FolderKeysWithData.Add(o.Key);
                continue;
            }
            if (!site.Filter.Includes(o.Key) && !options.DeleteExcluded) continue;
            RemoteCount++;
            yield return o;
        }
        _listingDone = true;
    }

    private readonly List<string> _fileKeys = [];

    /// <summary>Restore: keys ending in '/' that hold data (the first five), and how many there were.</summary>
    public List<string> FolderKeysWithData { get; } = [];

    public int FolderKeysWithDataCount { get; private set; }

    private Task<PlanEntry> DecideAsync(MergedKey item, ChangeDetector detector, CancellationToken cancellationToken)
    {
        if (options.Download) return DecideDownloadAsync(item, detector, cancellationToken);
        if (options.ModifiedSince is { } since && Outside(item, since) is { } outside) return Task.FromResult(outside);
        if (options.ModifiedSince is { } window && item.Local is null && site.RetireDeleted && !_walker!.Keeps(item.Key))
            return StoredOutsideAsync(item, window, cancellationToken);
        if (item.Remote is null)
            return Task.FromResult(new PlanEntry(item.Key, ChangeReason.Missing, PlanAction.Upload, item.Local, null, $"{item.Local!.Size}"));
        if (item.Local is null)
            return Task.FromResult(site.RetireDeleted && _walker!.Keeps(item.Key)
                ? Kept(item)
                : site.RetireDeleted
                ? new PlanEntry(item.Key, ChangeReason.RemoteOnly, PlanAction.Delete, null, item.Remote)
                : new PlanEntry(item.Key, ChangeReason.RemoteOnlyKept, PlanAction.None, null, item.Remote, "only in S3 (kept)"));
        return CompareAsync(item.Local, item.Remote, detector, cancellationToken);
    }

    /// <summary>--max-age: a file modified before <paramref name="since"/>, or a key only in S3 whose object is older,
    /// is not considered: no upload, no comparison, and never a deletion (its key is kept).</summary>
    private static PlanEntry? Outside(MergedKey item, DateTime since)
    {
        if (item.Local is { } local)
            return local.LastWriteUtc.ToUniversalTime() >= since ? null
                : new PlanEntry(item.Key, ChangeReason.OutsideWindow, PlanAction.None, local, item.Remote, "modified before --max-age's window: not considered");
        return item.Remote is { } remote && remote.LastModifiedUtc.ToUniversalTime() < since
            ? new PlanEntry(item.Key, ChangeReason.OutsideWindow, PlanAction.None, null, remote, "only in S3, older than --max-age's window: not considered (kept)")
            : null;
    }

    /// <summary>--max-age, a key only in S3 uploaded within the window: its object's upload time says nothing of its
    /// file's age (an old file renamed, mv keeping its mtime, has an old object at the old key and a new key that the
    /// window does not upload). The stored mtime decides: older than the window, the key is kept, so the content stays
    /// in the bucket; a HEAD that fails keeps it too. Without s3sync's metadata the upload time decides, as before.</summary>
    private async Task<PlanEntry> StoredOutsideAsync(MergedKey item, DateTime since, CancellationToken cancellationToken)
    {
        ObjectHead? head;
        try
        {
            head = await store.HeadAsync(item.Key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new PlanEntry(item.Key, ChangeReason.OutsideWindow, PlanAction.None, null, item.Remote, $"only in S3, kept: its file's stored mtime could not be read for --max-age ({StoreErrors.Describe(e)})");
        }
        var sinceNs = (since.ToUniversalTime() - DateTime.UnixEpoch).Ticks * 100;
        if (head?.File is { } stored && stored.MtimeNs < sinceNs)
            return new PlanEntry(item.Key, ChangeReason.OutsideWindow, PlanAction.None, null, item.Remote, "only in S3, its file's stored mtime is older than --max-age's window: not considered (kept)");
        return new PlanEntry(item.Key, ChangeReason.RemoteOnly, PlanAction.Delete, null, item.Remote);
    }

    private PlanEntry Kept(MergedKey item)
    {
        if (_walker!.Unmounted.Any(f => item.Key.StartsWith(f, StringComparison.Ordinal)))
        {
            HeldByUnmounted++;
            return new PlanEntry(item.Key, ChangeReason.RemoteOnlyKept, PlanAction.None, null, item.Remote, "only in S3, kept: its folder was a mount point and is not mounted now");
        }
        return new PlanEntry(item.Key, ChangeReason.RemoteOnlyKept, PlanAction.None, null, item.Remote, "only in S3, kept: the local file or folder was skipped (see the warning)");
    }

    private async Task<PlanEntry> DecideDownloadAsync(MergedKey item, ChangeDetector detector, CancellationToken cancellationToken)
    {
        if (item.Remote is null && item.Local?.Folder is not null)
            // A folder without a marker (one made by a file's path, or before folders were kept) is never deleted.
            return new PlanEntry(item.Key, ChangeReason.LocalOnlyKept, PlanAction.None, item.Local, null, "folder only on disk (kept)");
        if (item.Remote is null)
        {
            var name = item.Key[(item.Key.LastIndexOf('/') + 1)..];
            if (TargetFolder.IsTempName(name))
                return new PlanEntry(item.Key, ChangeReason.Vanished, PlanAction.None, item.Local, null, "temporary file of an interrupted restore");
            return site.RetireDeleted
                ? new PlanEntry(item.Key, ChangeReason.LocalOnly, PlanAction.Delete, item.Local, null, "only on disk")
                : new PlanEntry(item.Key, ChangeReason.LocalOnlyKept, PlanAction.None, item.Local, null, "only on disk (kept)");
        }
        var folder = item.Key.EndsWith('/');
        // A folder marker names the folder without its '/': "a//" and "../x/" are refused as "a/" and "../x" would be.
        if (!RestorePath.TryParse(folder ? item.Key[..^1] : item.Key, out _, out var why))
            return new PlanEntry(item.Key, ChangeReason.Error, PlanAction.None, item.Local, item.Remote, $"not restored: {why}");
        // Keys with a common start are contiguous in key order: a key below a file key ("a" then "a/b") is seen while
        // "a" is still on this list. The file wins; the keys below it cannot be written.
        _fileKeys.RemoveAll(k => !item.Key.StartsWith(k, StringComparison.Ordinal));
        var clash = _fileKeys.FirstOrDefault(k => item.Key.Length > k.Length && item.Key[k.Length] == '/');
        if (!folder) _fileKeys.Add(item.Key);
        if (clash is not null)
            return new PlanEntry(item.Key, ChangeReason.Error, PlanAction.None, item.Local, item.Remote, $"not restored: '{clash}' is also an object, so it cannot be a folder");
        if (ChangeDetector.IsArchived(item.Remote.StorageClass) && item.Local is null)
            return new PlanEntry(item.Key, ChangeReason.Archived, PlanAction.None, null, item.Remote, $"archived ({item.Remote.StorageClass}): restore it in S3 first");
        if (item.Local is null)
            return new PlanEntry(item.Key, ChangeReason.Missing, PlanAction.Download, null, item.Remote, $"{item.Remote.Size}");
        var entry = await CompareAsync(item.Local, item.Remote, detector, cancellationToken).ConfigureAwait(false);
        return entry switch
        {
            { Reason: ChangeReason.StorageClassDiffers } => entry with { Reason = ChangeReason.InSync, Action = PlanAction.None, Detail = null },
            { Reason: ChangeReason.MetadataDiffers } => entry with { Action = PlanAction.ApplyMetadata },
            { Reason: ChangeReason.Archived } => entry with { Reason = ChangeReason.InSync, Action = PlanAction.None, Detail = null },
            { Action: PlanAction.Upload } when ChangeDetector.IsArchived(item.Remote.StorageClass) =>
                entry with { Reason = ChangeReason.Archived, Action = PlanAction.None, Detail = $"archived ({item.Remote.StorageClass}): restore it in S3 first" },
            { Action: PlanAction.Upload } => entry with { Action = PlanAction.Download },
            _ => entry,
        };
    }

    private Task<PlanEntry> CompareAsync(LocalEntry local, RemoteObject remote, ChangeDetector detector, CancellationToken cancellationToken) =>
        CompareAsync(local, remote, detector, report, cancellationToken);

    /// <summary>A file and its object compared (<see cref="ChangeDetector"/>); a file that vanished, was swapped or cannot
    /// be read is its own entry, never an exception. Shared with the one-key plans of <see cref="KeyPlanner"/>.</summary>
    internal static async Task<PlanEntry> CompareAsync(LocalEntry local, RemoteObject remote, ChangeDetector detector, Action<WalkIssue>? report, CancellationToken cancellationToken)
    {
        try
        {
            return await detector.CompareAsync(local, remote, cancellationToken).ConfigureAwait(false);
        }
        catch (FileSwappedException e)
        {
            // A swap is a warning for that path; nothing was read, and the object stays.
            report?.Invoke(new WalkIssue(local.FullPath, e.Message[(e.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..], false));
            return new PlanEntry(local.Key, ChangeReason.Vanished, PlanAction.None, local, remote, "swapped between the listing and the read; nothing read");
        }
        catch (FileNotFoundException)
        {
            return new PlanEntry(local.Key, ChangeReason.Vanished, PlanAction.None, local, remote, "deleted before it could be read");
        }
        catch (DirectoryNotFoundException)
        {
            return new PlanEntry(local.Key, ChangeReason.Vanished, PlanAction.None, local, remote, "deleted before it could be read");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new PlanEntry(local.Key, ChangeReason.Error, PlanAction.None, local, remote, e is UnauthorizedAccessException ? "cannot read: permission denied" : $"cannot read: {e.Message}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new PlanEntry(local.Key, ChangeReason.Error, PlanAction.None, local, remote, $"cannot compare: {StoreErrors.Describe(e)}");
        }
    }

    private sealed class StoreFingerprints(IObjectStore store) : IFingerprintSource
    {
        public Task<ObjectHead?> HeadAsync(string relativeKey, CancellationToken cancellationToken) =>
            store.HeadAsync(relativeKey, cancellationToken);
    }
}
