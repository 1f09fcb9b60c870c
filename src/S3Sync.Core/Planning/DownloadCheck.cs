using System.Buffers;
using System.Runtime.CompilerServices;
using S3Sync.Config;
using S3Sync.Local;
using S3Sync.Remote;

namespace S3Sync.Planning;

/// <summary>
/// The restore drill of <c>verify --download</c>: streams back every object the plan holds on both sides with the same
/// size and compares its bytes with the local file. At most <c>parallelism</c> objects are read at once, each in 1 MiB
/// chunks, so memory stays at 2 MiB per object in flight whatever the sizes; the output keeps the plan's key order.
/// <list type="bullet">
/// <item>bytes differ: <see cref="ChangeReason.ChecksumDiffers"/>, whatever the ETag or fingerprint said;</item>
/// <item>bytes equal and the key was <see cref="ChangeReason.CannotCompare"/>: decided by storage class like any equal key;</item>
/// <item>archived objects (GLACIER, DEEP_ARCHIVE) are not read: a GET would need a restore first;</item>
/// <item>the object or the file could not be read: <see cref="ChangeReason.Error"/>.</item>
/// </list>
/// </summary>
public sealed class DownloadCheck(Site site, IObjectStore store, int parallelism)
{
    private const int ChunkSize = 1024 * 1024;

    public async IAsyncEnumerable<PlanEntry> ApplyAsync(IAsyncEnumerable<PlanEntry> plan, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var window = new Queue<Task<PlanEntry>>();
        await foreach (var entry in plan.ConfigureAwait(false))
        {
            window.Enqueue(entry is { Local: { Folder: null }, Remote: not null } && entry.Reason is ChangeReason.InSync or ChangeReason.StorageClassDiffers or ChangeReason.CannotCompare
                ? CheckAsync(entry, cancellationToken)
                : Task.FromResult(entry));
            while (window.Count >= parallelism || (window.Count > 0 && window.Peek().IsCompleted))
                yield return await window.Dequeue().ConfigureAwait(false);
        }
        while (window.Count > 0) yield return await window.Dequeue().ConfigureAwait(false);
    }

    private async Task<PlanEntry> CheckAsync(PlanEntry entry, CancellationToken cancellationToken)
    {
        var a = ArrayPool<byte>.Shared.Rent(ChunkSize);
        var b = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            // A preserved link's content is its target (what its object holds).
            await using Stream local = entry.Local!.LinkTarget is { } target
                ? new MemoryStream(System.Text.Encoding.UTF8.GetBytes(target), writable: false)
                : new FileStream(LocalFile.OpenRead(entry.Local.FullPath, entry.Local.Identity), FileAccess.Read, 1);
            await using var remote = await store.OpenReadAsync(entry.Key, cancellationToken).ConfigureAwait(false);
            long offset = 0;
            while (true)
            {
                var n = await remote.ReadAtLeastAsync(a.AsMemory(0, ChunkSize), ChunkSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                var m = await local.ReadAtLeastAsync(b.AsMemory(0, ChunkSize), ChunkSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (n != m || !a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, m)))
                {
                    var at = offset + a.AsSpan(0, n).CommonPrefixLength(b.AsSpan(0, m));
                    return entry with { Reason = ChangeReason.ChecksumDiffers, Action = PlanAction.Upload, Detail = $"content differs (downloaded bytes differ at offset {at})" };
                }
                if (n == 0) break;
                offset += n;
            }
            return entry.Reason == ChangeReason.CannotCompare
                ? ChangeDetector.ClassCheck(site.StorageClass, entry.Local, entry.Remote!, entry.Digest)
                : entry;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return entry with { Reason = ChangeReason.Vanished, Action = PlanAction.None, Detail = "deleted before it could be read" };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return entry with { Reason = ChangeReason.Error, Action = PlanAction.None, Detail = $"download check failed: {StoreErrors.Describe(e)}" };
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(a);
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
