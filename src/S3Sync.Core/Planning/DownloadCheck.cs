using System.Buffers;
using System.Runtime.CompilerServices;
using S3Sync.Config;
using S3Sync.Remote;

namespace S3Sync.Planning;

/// <summary>
/// The restore drill of <c>verify --download</c>: streams back every object the plan found equal and compares its
/// bytes with the local file, a few at a time, in 1 MiB chunks (memory stays bounded whatever the sizes).
/// An object whose bytes differ becomes <see cref="ChangeReason.ChecksumDiffers"/>.
/// </summary>
public sealed class DownloadCheck(Site site, IObjectStore store, int parallelism)
{
    private const int ChunkSize = 1024 * 1024;

    public async IAsyncEnumerable<PlanEntry> ApplyAsync(IAsyncEnumerable<PlanEntry> plan, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var window = new Queue<Task<PlanEntry>>();
        await foreach (var entry in plan.ConfigureAwait(false))
        {
            window.Enqueue(entry is { Local: not null, Remote: not null } && entry.Reason is ChangeReason.InSync or ChangeReason.StorageClassDiffers or ChangeReason.Archived or ChangeReason.CannotCompare
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
            await using var remote = await store.OpenReadAsync(site.Bucket, site.KeyFor(entry.Key), cancellationToken).ConfigureAwait(false);
            await using var local = new FileStream(entry.Local!.FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            long offset = 0;
            while (true)
            {
                var n = await remote.ReadAtLeastAsync(a.AsMemory(0, ChunkSize), ChunkSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                var m = await local.ReadAtLeastAsync(b.AsMemory(0, ChunkSize), ChunkSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (n != m || !a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, m)))
                    return entry with { Reason = ChangeReason.ChecksumDiffers, Action = PlanAction.Upload, Detail = $"content differs (downloaded bytes differ from offset {offset})" };
                if (n == 0) return entry;
                offset += n;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return entry with { Reason = ChangeReason.Error, Action = PlanAction.None, Detail = $"download check failed: {e.Message}" };
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(a);
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
