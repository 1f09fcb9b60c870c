using System.Runtime.CompilerServices;
using S3Sync.Config;
using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Remote;

namespace S3Sync.Planning;

/// <summary>How a plan is made: what sync and verify differ in.</summary>
public sealed record PlanOptions
{
    /// <summary>Read the fingerprint with HEAD when an ETag cannot be reproduced (verify --deep; sync always).</summary>
    public bool Deep { get; init; }

    /// <summary>Upload keys that cannot be compared (sync) instead of reporting them (verify).</summary>
    public bool UploadWhenUnsure { get; init; }

    /// <summary>When the file's mtime, mode and owner are compared with the object's (a HEAD; see <see cref="ChangeDetector"/>).</summary>
    public MetadataCheck Metadata { get; init; }

    /// <summary>How many keys are compared (hashed) at once; the output keeps key order.</summary>
    public int Parallelism { get; init; } = Math.Max(2, Environment.ProcessorCount * 2);
}

/// <summary>
/// Turns a site into a stream of <see cref="PlanEntry"/> in key order: walk, listing, merge, compare. The one
/// implementation behind <c>sync</c>, <c>sync --dry-run</c> and <c>verify</c>. Nothing here writes to S3.
/// </summary>
public sealed class SyncPlanner(Site site, IObjectStore store, IDigestSource digests, PlanOptions options, Action<WalkIssue>? report = null)
{
    private LocalWalker? _walker;
    private bool _listed;

    /// <summary>True once the plan has been read to the end with the walk and the listing both complete.</summary>
    public bool Complete => _walker is { Complete: true } && _listed;

    /// <summary>Objects under the prefix, counted as the listing streams (for the delete guard).</summary>
    public long RemoteCount { get; private set; }

    public async IAsyncEnumerable<PlanEntry> PlanAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        _walker = new LocalWalker(site, report);
        var detector = new ChangeDetector(site.StorageClass, digests, options.Deep ? new StoreFingerprints(store, site) : null, options.UploadWhenUnsure, options.Metadata);
        var merged = KeyMerger.MergeAsync(_walker.WalkAsync(cancellationToken), ListAsync(cancellationToken), cancellationToken);

        // A window of comparisons in flight, yielded in order: hashing runs in parallel, the plan stays sorted.
        var window = new Queue<Task<PlanEntry>>();
        await foreach (var item in merged.ConfigureAwait(false))
        {
            window.Enqueue(DecideAsync(item, detector, cancellationToken));
            while (window.Count >= options.Parallelism || (window.Count > 0 && window.Peek().IsCompleted))
                yield return await window.Dequeue().ConfigureAwait(false);
        }
        while (window.Count > 0) yield return await window.Dequeue().ConfigureAwait(false);
        _listed = true;
    }

    private async IAsyncEnumerable<RemoteObject> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var o in store.ListAsync(site.Bucket, site.ListPrefix, cancellationToken).ConfigureAwait(false))
        {
            RemoteCount++;
            // Folder markers ("a/b/") have no local twin and are left alone; so are excluded keys.
            if (o.Key.Length == 0 || o.Key.EndsWith('/')) continue;
            if (!site.Filter.Includes(o.Key)) continue;
            yield return o;
        }
    }

    private Task<PlanEntry> DecideAsync(MergedKey item, ChangeDetector detector, CancellationToken cancellationToken)
    {
        if (item.Remote is null)
            return Task.FromResult(new PlanEntry(item.Key, ChangeReason.Missing, PlanAction.Upload, item.Local, null, $"{item.Local!.Size}"));
        if (item.Local is null)
            return Task.FromResult(site.RetireDeleted
                ? new PlanEntry(item.Key, ChangeReason.RemoteOnly, PlanAction.Delete, null, item.Remote)
                : new PlanEntry(item.Key, ChangeReason.RemoteOnlyKept, PlanAction.None, null, item.Remote, "only in S3 (kept)"));
        return CompareAsync(item.Local, item.Remote, detector, cancellationToken);
    }

    private static async Task<PlanEntry> CompareAsync(LocalEntry local, RemoteObject remote, ChangeDetector detector, CancellationToken cancellationToken)
    {
        try
        {
            return await detector.CompareAsync(local, remote, cancellationToken).ConfigureAwait(false);
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

    private sealed class StoreFingerprints(IObjectStore store, Site site) : IFingerprintSource
    {
        public Task<ObjectHead?> HeadAsync(string relativeKey, CancellationToken cancellationToken) =>
            store.HeadAsync(site.Bucket, site.KeyFor(relativeKey), cancellationToken);
    }
}

/// <summary>Hashes with <see cref="FileHasher"/>, no cache.</summary>
public sealed class DirectDigestSource : IDigestSource
{
    public static readonly DirectDigestSource Instance = new();

    public Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, CancellationToken cancellationToken) =>
        FileHasher.HashAsync(entry.FullPath, extraPartSizes, cancellationToken);
}
