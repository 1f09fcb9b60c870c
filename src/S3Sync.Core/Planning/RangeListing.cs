using System.Runtime.CompilerServices;
using System.Threading.Channels;
using S3Sync.Local;
using S3Sync.Remote;

namespace S3Sync.Planning;

/// <summary>
/// A site's listing split by folder and listed side by side, handed on in key order, so the merge and the delete rules
/// see exactly the stream one continuation chain gives. One chain brings 1,000 keys a round trip: a million objects
/// are 1,000 pages one after the other (minutes at 100 ms) before the first decision.
/// <list type="bullet">
/// <item>The first page of the plain listing comes first: a site of one page is that page, at no extra request; a
/// larger one costs one round trip more, for one level of the tree (a listing with the delimiter '/').</item>
/// <item>Otherwise the prefix is the objects directly in it plus one chain per folder (<c>Prefix=folder/</c>); with
/// fewer than <see cref="MinFolders"/> folders, each folder is split the same way once more. Every key is either
/// directly in a level or under exactly one of its folders, and the keys under a folder are contiguous in key order,
/// so putting the level's objects between the folders' chains gives the one chain's order, and each chain lists only
/// its own keys (no page is read twice).</item>
/// <item>At most <see cref="Ahead"/> chains run at once, each at most a page ahead of the merge into its own bounded
/// queue: memory stays bounded, whatever the bucket holds. A level of more than <see cref="MaxEntries"/> entries, or a
/// store that cannot list by level, is listed as one chain.</item>
/// </list>
/// </summary>
public static class RangeListing
{
    /// <summary>Folder chains listed at once. Each holds up to about three pages (its queue, the page it is writing
    /// and the next one asked for): 16 keep a 10^6-object no-op under 90 MB peak at 100 ms (32 took 112 MB) and list
    /// 1,000 folders in about 1,000 / 16 round trips (bench/listing.sh).</summary>
    public const int Ahead = 16;

    /// <summary>Below this many folders, their own folders are the split points.</summary>
    public const int MinFolders = 16;

    /// <summary>The most entries of a level taken in memory (objects and folders); past it, one chain.</summary>
    public const int MaxEntries = 10_000;

    /// <summary>One piece of the listing, in key order: an object of a level, or a folder listed by its own chain.</summary>
    private readonly record struct Unit(RemoteObject? Object, string? Folder);

    public static IAsyncEnumerable<RemoteObject> ListAsync(IObjectStore store, CancellationToken cancellationToken) =>
        ListAsync(store.Location, store.ListAsync, store.Folders is { } folders ? folders.ListLevelAsync : null, cancellationToken);

    /// <summary>
    /// The tree at <paramref name="at"/> (<c>restore --at</c>, <c>ls --at</c>): the versions listed by folder as
    /// <see cref="ListAsync(IObjectStore, CancellationToken)"/> lists the objects, from the same first page, levels and
    /// trust checks, then each key's version at that time. The chains and the checks see every key with a version,
    /// deleted at the time or not yet written (<see cref="KeyAtTime"/>): a folder whose keys were all deleted lists its
    /// keys and gives nothing to the tree, where a folder that lists no version at all is the server's mistake.
    /// </summary>
    public static async IAsyncEnumerable<RemoteObject> ListAtAsync(IObjectStore store, DateTime at, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var versions = store.Versions ?? throw StoreCapabilities.Missing("list versions");
        var decided = false; // a key held a version or a delete marker at the time
        DateTime? oldest = null; // of the keys with nothing yet at the time
        var listing = ListAsync(store.Location, (under, startAfter, t) => versions.ListAtAsync(at, under, startAfter, t),
            store.Folders is null ? null : (under, most, t) => versions.ListLevelAtAsync(at, under, most, t), cancellationToken);
        await foreach (var o in listing.ConfigureAwait(false))
        {
            if (o.At == KeyAtTime.NotYet)
            {
                if (oldest is null || o.LastModifiedUtc < oldest) oldest = o.LastModifiedUtc;
                continue;
            }
            decided = true;
            if (o.At == KeyAtTime.Present) yield return o;
        }
        if (!decided && oldest is { } first)
            throw new BeforeOldestVersionException($"{store.Location.Url} held nothing at {at:yyyy-MM-ddTHH:mm:ssZ}: its oldest version is from {first:yyyy-MM-ddTHH:mm:ssZ}; give --at a later time", first);
    }

    /// <summary>The listing through a chain (as <see cref="IObjectStore.ListAsync"/>) and a level (as
    /// <see cref="IFolderListing.ListLevelAsync"/>; null: never split).</summary>
    private static async IAsyncEnumerable<RemoteObject> ListAsync(StoreLocation location, Func<string, string?, CancellationToken, IAsyncEnumerable<RemoteObject>> chainOf,
        Func<string, int, CancellationToken, Task<FolderLevel?>>? levelOf, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // The first page of one chain: a small site needs nothing more (and a server that fails or loops is asked
        // nothing else).
        var first = new List<RemoteObject>();
        var more = false;
        await using (var chain = chainOf("", null, stop.Token).GetAsyncEnumerator(stop.Token))
        {
            while (await chain.MoveNextAsync().ConfigureAwait(false))
            {
                if (first.Count == 1000) { more = true; break; }
                first.Add(chain.Current);
            }
        }
        List<Unit>? units = null;
        if (more && levelOf is not null) units = await UnitsAsync(levelOf, levelOf("", MaxEntries, stop.Token), stop.Token).ConfigureAwait(false);
        if (units is null)
        {
            foreach (var o in first) yield return o;
            if (!more) yield break;
            // Not split: the one chain, from where the first page ended.
            await foreach (var o in chainOf("", first[^1].Key, stop.Token).ConfigureAwait(false)) yield return o;
            yield break;
        }

        // The split listing must agree with the one chain wherever both were read (its first page, and a key past
        // it): a server whose level listing lies (a folder it misnames, leaves out or invents, a key it places
        // wrongly), or a change between the two, gives the one chain instead, never a stream with keys hidden from
        // the merge (a hidden key is a restore's wrong deletion).
        await using var split = SplitAsync(location, chainOf, units, stop.Token).GetAsyncEnumerator(stop.Token);
        var held = new List<RemoteObject>(first.Count + 1);
        var agrees = true;
        while (agrees && held.Count <= first.Count)
        {
            if (!await split.MoveNextAsync().ConfigureAwait(false)) { agrees = false; break; }
            var o = split.Current;
            agrees = held.Count == first.Count || Same(o, first[held.Count]);
            held.Add(o);
        }
        if (!agrees)
        {
            await split.DisposeAsync().ConfigureAwait(false); // its chains stop now, not after the one chain
            foreach (var o in first) yield return o;
            await foreach (var o in chainOf("", first[^1].Key, stop.Token).ConfigureAwait(false)) yield return o;
            yield break;
        }
        foreach (var o in held) yield return o;
        while (await split.MoveNextAsync().ConfigureAwait(false)) yield return split.Current;
    }

    /// <summary>The most entries of the top level a shard takes in memory (objects and folders); past it, one chain.</summary>
    public const int ShardMaxEntries = 1_000_000;

    /// <summary>
    /// The listing of one shard (<see cref="Config.Shard"/>): the top level once (its objects and folder names, with the
    /// delimiter '/'), then only the shard's folders, each by its own chain, and the shard's objects of the top level
    /// between them, in key order. No key below a folder of another shard is asked for; every shard reads the top level's
    /// names. A store that cannot list by level, or a top level over <see cref="ShardMaxEntries"/>, is listed as one chain
    /// (the planner's filter then keeps the shard's keys: the same stream, at the cost of every page).
    /// </summary>
    public static async IAsyncEnumerable<RemoteObject> ListShardAsync(IObjectStore store, Config.Shard shard, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        FolderLevel? level;
        try
        {
            level = store.Folders is { } folders ? await folders.ListLevelAsync("", ShardMaxEntries, cancellationToken).ConfigureAwait(false) : null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            level = null; // a server that refuses the delimiter: the one chain, as RangeListing does
        }
        if (level is null)
        {
            await foreach (var o in store.ListAsync("", null, cancellationToken).ConfigureAwait(false)) yield return o;
            yield break;
        }
        var units = Interleave("", [.. level.Objects.Where(o => shard.Owns(o.Key))], level.Folders.Where(shard.Owns).Select(f => new Unit(null, f)));
        await foreach (var o in SplitAsync(store.Location, store.ListAsync, units, cancellationToken).ConfigureAwait(false)) yield return o;
    }

    /// <summary>The pieces in key order: a level's objects as they are, a folder's by its own chain.</summary>
    private static async IAsyncEnumerable<RemoteObject> SplitAsync(StoreLocation location, Func<string, string?, CancellationToken, IAsyncEnumerable<RemoteObject>> chainOf, List<Unit> units, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var started = new Dictionary<int, Channel<RemoteObject>>();
        var next = 0; // the next unit whose chain may start
        void StartAhead(int from)
        {
            next = Math.Max(next, from);
            while (started.Count < Ahead && next < units.Count)
            {
                if (units[next].Folder is { } folder)
                {
                    var channel = Channel.CreateBounded<RemoteObject>(new BoundedChannelOptions(1000) { SingleReader = true, SingleWriter = true });
                    started[next] = channel;
                    _ = Task.Run(() => FillAsync(chainOf, folder, channel.Writer, stop.Token), CancellationToken.None);
                }
                next++;
            }
        }
        try
        {
            StartAhead(0);
            for (var i = 0; i < units.Count; i++)
            {
                if (units[i].Object is { } o)
                {
                    yield return o;
                    continue;
                }
                var channel = started[i];
                var any = false;
                await foreach (var item in channel.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
                {
                    any = true;
                    yield return item;
                }
                // A folder of a level holds a key by definition: one that lists nothing was misnamed by the server
                // (its keys are elsewhere, unlisted) or emptied since; either way the stream is not the one chain's.
                if (!any) throw new ListingMismatchException($"the listing of {location.Url} by folder named the folder '{location.Join(units[i].Folder!)}', which lists no key: the server's delimiter listing cannot be trusted (or the bucket changed during the listing); stopped");
                started.Remove(i);
                StartAhead(i + 1);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private static async Task FillAsync(Func<string, string?, CancellationToken, IAsyncEnumerable<RemoteObject>> chainOf, string folder, ChannelWriter<RemoteObject> writer, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var o in chainOf(folder, null, cancellationToken).ConfigureAwait(false))
                await writer.WriteAsync(o, cancellationToken).ConfigureAwait(false);
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }
    }

    /// <summary>The same entry in both listings (a version listing's also by version and by what the key held then).</summary>
    private static bool Same(RemoteObject a, RemoteObject b) =>
        a.Key == b.Key && a.Size == b.Size && a.ETag == b.ETag && a.VersionId == b.VersionId && a.At == b.At;

    /// <summary>The pieces of the listing in key order, or null when it is not split (no level, or too large).</summary>
    private static async Task<List<Unit>?> UnitsAsync(Func<string, int, CancellationToken, Task<FolderLevel?>> levelOf, Task<FolderLevel?> top, CancellationToken cancellationToken)
    {
        try
        {
            if (await top.ConfigureAwait(false) is not { } level) return null;
            if (level.Folders.Count >= MinFolders) return Interleave("", level.Objects, level.Folders.Select(f => new Unit(null, f)));
            // Few folders: split each of them one level further.
            var deeper = await Task.WhenAll(level.Folders.Select(f => levelOf(f, MaxEntries, cancellationToken))).ConfigureAwait(false);
            // A folder whose own level is empty was misnamed (or emptied since): not split, the one chain.
            if (deeper.Any(d => d is { Objects.Count: 0, Folders.Count: 0 })) return null;
            var inner = level.Folders.SelectMany((f, i) => deeper[i] is { } sub
                ? Interleave(f, sub.Objects, sub.Folders.Select(s => new Unit(null, f + s)))
                : [new Unit(null, f)]);
            return Interleave("", level.Objects, inner);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return null; // a server that refuses the delimiter: the one chain, as before
        }
    }

    /// <summary>A level's objects (keys relative to <paramref name="under"/>) between its folders' pieces, in key order.
    /// An object that sorts before a folder sorts before every key under it (it is not itself under it).</summary>
    private static List<Unit> Interleave(string under, IReadOnlyList<RemoteObject> objects, IEnumerable<Unit> folders)
    {
        var units = new List<Unit>();
        var i = 0;
        foreach (var folder in folders)
        {
            var start = folder.Folder ?? folder.Object!.Key;
            for (; i < objects.Count && KeyOrder.Instance.Compare(under + objects[i].Key, start) < 0; i++)
                units.Add(new Unit(objects[i] with { Key = under + objects[i].Key }, null));
            units.Add(folder);
        }
        for (; i < objects.Count; i++) units.Add(new Unit(objects[i] with { Key = under + objects[i].Key }, null));
        return units;
    }
}
