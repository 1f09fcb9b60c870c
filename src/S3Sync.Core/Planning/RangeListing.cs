using System.Runtime.CompilerServices;
using System.Threading.Channels;
using S3Sync.Remote;

namespace S3Sync.Planning;

/// <summary>
/// A site's listing split into key ranges listed side by side and handed on in key order, so the merge and the delete
/// rules see exactly the stream one continuation chain would give. One chain brings 1,000 keys a round trip: a million
/// objects are 1,000 pages one after the other (minutes at 100 ms), before the first decision.
/// <list type="bullet">
/// <item>The first page of the plain listing and the prefix's folders (a listing with the delimiter '/') are asked for
/// together: a site of one page is that page, at no extra round trip.</item>
/// <item>Otherwise the folders are the split points (one level further down when there are fewer than
/// <see cref="MinFolders"/>): ranges (−∞, f₁], (f₁, f₂], …, (fₙ, ∞) cover every key exactly once, whatever is in the
/// bucket (keys beside the folders, folder markers, keys of no local file).</item>
/// <item>At most <see cref="Ahead"/> ranges are listed at once, each at most one page ahead of the merge into its own
/// bounded queue: memory stays bounded, whatever the bucket holds.</item>
/// </list>
/// A key a server hands out of its range (a lying server) ends that range's listing with an error rather than being
/// passed on out of order.
/// </summary>
public static class RangeListing
{
    /// <summary>Ranges listed at once.</summary>
    public const int Ahead = 32;

    /// <summary>Below this many folders, their sub-folders are the split points.</summary>
    public const int MinFolders = 16;

    /// <summary>The most split points taken (each costs a request at least).</summary>
    public const int MaxSplits = 10_000;

    public static async IAsyncEnumerable<RemoteObject> ListAsync(IObjectStore store, string bucket, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var folders = store.ListFoldersAsync(bucket, prefix, MaxSplits, stop.Token);
        // The first page of one chain, read while the folders are asked for: a small site needs nothing more.
        var first = new List<RemoteObject>();
        var more = false;
        await using (var chain = store.ListAsync(bucket, prefix, stop.Token).GetAsyncEnumerator(stop.Token))
        {
            while (await chain.MoveNextAsync().ConfigureAwait(false))
            {
                if (first.Count == 1000) { more = true; break; }
                first.Add(chain.Current);
            }
        }
        IReadOnlyList<string>? splits = null;
        if (more) splits = await SplitPointsAsync(store, bucket, prefix, folders, stop.Token).ConfigureAwait(false);
        else _ = folders.ContinueWith(t => t.Exception, TaskScheduler.Default);
        if (!more || splits is null || splits.Count == 0)
        {
            foreach (var o in first) yield return o;
            if (!more) yield break;
            // No folders to split by: the one chain, from where the first page ended.
            await foreach (var o in store.ListAsync(bucket, prefix, first[^1].Key, stop.Token).ConfigureAwait(false)) yield return o;
            yield break;
        }

        var ranges = new Queue<Channel<RemoteObject>>();
        var next = 0; // the next range to start: range i is (splits[i-1], splits[i]]; range splits.Count is (last, ∞)
        void Start()
        {
            var channel = Channel.CreateBounded<RemoteObject>(new BoundedChannelOptions(1000) { SingleReader = true, SingleWriter = true });
            var after = next == 0 ? null : splits[next - 1];
            var upTo = next < splits.Count ? splits[next] : null;
            next++;
            ranges.Enqueue(channel);
            _ = Task.Run(() => FillAsync(store, bucket, prefix, after, upTo, channel.Writer, stop.Token), CancellationToken.None);
        }
        try
        {
            while (ranges.Count < Ahead && next <= splits.Count) Start();
            while (ranges.TryDequeue(out var range))
            {
                await foreach (var o in range.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false)) yield return o;
                if (next <= splits.Count) Start();
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private static async Task FillAsync(IObjectStore store, string bucket, string prefix, string? after, string? upTo, ChannelWriter<RemoteObject> writer, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var o in store.ListAsync(bucket, prefix, after, cancellationToken).ConfigureAwait(false))
            {
                if (upTo is not null && KeyOrder.Instance.Compare(o.Key, upTo) > 0) break;
                if (after is not null && KeyOrder.Instance.Compare(o.Key, after) <= 0)
                    throw new InvalidDataException($"the listing of s3://{bucket}/{prefix} returned '{o.Key}' before the key it was asked to start after ('{after}')");
                await writer.WriteAsync(o, cancellationToken).ConfigureAwait(false);
            }
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }
    }

    /// <summary>The folders of the prefix, or of its folders when they are few; sorted in key order.</summary>
    private static async Task<IReadOnlyList<string>?> SplitPointsAsync(IObjectStore store, string bucket, string prefix, Task<IReadOnlyList<string>?> top, CancellationToken cancellationToken)
    {
        try
        {
            return await SplitPointsOfAsync(store, bucket, prefix, await top.ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return null; // no split points (a server that refuses the delimiter): the one chain, as before
        }
    }

    private static async Task<IReadOnlyList<string>?> SplitPointsOfAsync(IObjectStore store, string bucket, string prefix, IReadOnlyList<string>? folders, CancellationToken cancellationToken)
    {
        if (folders is null || folders.Count >= MinFolders) return folders;
        var deeper = await Task.WhenAll(folders.Select(f => store.ListFoldersAsync(bucket, prefix + f, MaxSplits / Math.Max(1, folders.Count), cancellationToken))).ConfigureAwait(false);
        var splits = new List<string>();
        for (var i = 0; i < folders.Count; i++)
        {
            foreach (var sub in deeper[i] ?? []) splits.Add(folders[i] + sub);
            splits.Add(folders[i]);
        }
        splits.Sort(KeyOrder.Instance);
        return splits;
    }
}
