using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using S3Sync.Hashing;
using S3Sync.Remote;
using S3Sync.Reporting;

namespace S3Sync.Execution;

/// <summary>
/// One object's bytes into an open file: up to <see cref="MaxStreams"/> ranged GETs side by side ("lanes"), each over
/// an equal run of whole parts (so part ETags line up), read in lockstep 256 KiB at a time. Each round's chunks are
/// hashed together, one part per lane of an <see cref="Md5Lanes"/>, and written at their offsets while still in the
/// CPU's cache: one pass over the bytes, and the 8 part MD5s cost about one plain MD5 (measured in bench/RESTORE-w3.md:
/// a part-sized buffer read back for the page cache and again for the hash cost more CPU than the MD5 itself). The
/// object ends when its slowest lane does, as with any split into equal runs; lockstep adds no wait beyond that, the
/// sockets' buffers keep every lane's bytes coming. A lane whose body stalls (<see cref="TimeoutException"/> from the
/// store's stall guard) asks again from the start of the part it was in, twice at most from one place.
/// </summary>
public sealed class PartFetcher
{
    public const int MaxStreams = 8;
    public const int ChunkBytes = 256 * 1024;

    /// <summary>Attempts of one part whose body stalls: the store's rule for a request that timed out.</summary>
    public const int StalledBodyAttempts = 2;

    private readonly IObjectStore _store;
    private readonly string _key;
    private readonly string _shown;
    private readonly RemoteObject _remote;
    private readonly SafeFileHandle _file;
    private readonly long _partSize;
    private readonly int _count;
    private readonly FetchHash _hash;
    private readonly ILogger _logger;
    private readonly object _gate = new();

    /// <param name="key">The object's key (relative to the store's prefix); <paramref name="shown"/> is how logs name it.</param>
    /// <param name="partSize">The object's part size (its size when it comes in one GET).</param>
    public PartFetcher(IObjectStore store, string key, string shown, RemoteObject remote, SafeFileHandle file, long partSize, FetchHash hash, ILogger logger)
    {
        _store = store;
        _key = key;
        _shown = shown;
        _remote = remote;
        _file = file;
        _partSize = Math.Max(1, partSize);
        _count = ETag.PartCount(remote.Size, _partSize);
        _hash = hash;
        _logger = logger;
        PartMd5s = hash == FetchHash.Parts ? new byte[_count][] : null;
    }

    /// <summary>The first GET to answer: its headers (metadata, encryption) speak for the object. The caller disposes it.</summary>
    public ObjectDownload? First { get; private set; }

    /// <summary>Called once, with <see cref="First"/>, before any byte is written (under a lock: keep it short).</summary>
    public Action<ObjectDownload>? Answered { get; init; }

    /// <summary>Called as each part is whole in the file, with its index, from the fetch's own flow (one call at a time).</summary>
    public Action<int>? PartWritten { get; init; }

    /// <summary>Each part's MD5 (<see cref="FetchHash.Parts"/>), complete when <see cref="RunAsync"/> returns.</summary>
    public byte[][]? PartMd5s { get; }

    /// <summary>The whole object's MD5 (<see cref="FetchHash.Whole"/>).</summary>
    public byte[]? WholeMd5 { get; private set; }

    private sealed class Lane(int index, int from, long at, long end, byte[] chunk)
    {
        public int Index { get; } = index;
        public long End { get; } = end;
        public byte[] Chunk { get; } = chunk;
        public int Part { get; set; } = from;
        public long At { get; set; } = at;
        public ObjectDownload? Download { get; set; }
        public Task<ObjectDownload>? Opening { get; set; }
        public int Attempt { get; set; } = 1;
        public int ResumedAt { get; set; } = from;
        public bool Restart { get; set; }
        public bool Done { get; set; }
    }

    /// <summary>Fetches every byte with <paramref name="streams"/> lanes at most, buffers from <paramref name="budget"/>.</summary>
    public async Task RunAsync(int streams, ByteBudget budget, CancellationToken cancellationToken)
    {
        streams = Math.Clamp(streams, 1, Math.Min(MaxStreams, _count));
        var run = (int)ETag.CeilDiv(_count, streams);
        var lanes = new List<Lane>();
        for (var from = 0; from < _count; from += run)
        {
            var to = Math.Min(_count, from + run);
            var at = from * _partSize;
            var end = to == _count ? _remote.Size : to * _partSize;
            lanes.Add(new Lane(lanes.Count, from, at, end, ArrayPool<byte>.Shared.Rent((int)Math.Clamp(end - at, 1, ChunkBytes))));
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = cts.Token;
        using var md5 = _hash == FetchHash.None ? null : new Md5Lanes(lanes.Count);
        var buffers = lanes.Select(l => l.Chunk).ToArray();
        var counts = new int[lanes.Count];
        var finished = false;
        try
        {
            using var held = await budget.AcquireAsync(lanes.Sum(l => (long)l.Chunk.Length), token).ConfigureAwait(false);
            while (lanes.Any(l => !l.Done))
            {
                // A lane without a GET asks for one; the lanes whose GET has answered read on meanwhile. Waiting for every
                // lane's answer first would hold connections with unread bodies while the pool (workers + 2) has none
                // left for the rest: two objects could each wait for the other's connections for good.
                foreach (var lane in lanes.Where(l => !l.Done && l.Download is null))
                {
                    lane.Opening ??= OpenAsync(lane, token);
                    if (!lane.Opening.IsCompleted) continue;
                    lane.Download = await lane.Opening.ConfigureAwait(false);
                    lane.Opening = null;
                }
                var active = lanes.Where(l => !l.Done && l.Download is not null).ToArray();
                if (active.Length == 0)
                {
                    await Task.WhenAny(lanes.Where(l => l.Opening is not null).Select(l => l.Opening!)).ConfigureAwait(false);
                    continue;
                }
                Array.Clear(counts);
                await Task.WhenAll(active.Select(l => ReadAsync(l, counts, cts))).ConfigureAwait(false);
                foreach (var lane in active.Where(l => l.Restart))
                {
                    md5?.Reset(lane.Index);
                    lane.Restart = false;
                }
                md5?.Append(buffers, counts);
                foreach (var lane in active)
                {
                    var n = counts[lane.Index];
                    if (n > 0) RandomAccess.Write(_file, lane.Chunk.AsSpan(0, n), lane.At);
                    lane.At += n;
                    await AdvanceAsync(lane, md5, token).ConfigureAwait(false);
                }
            }
            finished = true;
        }
        finally
        {
            if (!finished) await cts.CancelAsync().ConfigureAwait(false);
            foreach (var lane in lanes)
            {
                // A GET still on its way is awaited (it ends at once: cancelled) so that its answer is closed too.
                if (lane.Opening is { } opening)
                {
                    try { (await opening.ConfigureAwait(false)).Dispose(); }
                    catch (Exception) { }
                }
                if (!finished) lane.Download?.Dispose();
                ArrayPool<byte>.Shared.Return(lane.Chunk);
            }
            if (!finished) First?.Dispose();
        }
    }

    private async Task<ObjectDownload> OpenAsync(Lane lane, CancellationToken token)
    {
        var one = _count == 1;
        long? length = one ? null : lane.End - lane.At;
        var download = await (_remote.VersionId is { } version
            ? (_store.Versions ?? throw StoreCapabilities.Missing("read versions")).GetAsync(_key, version, lane.At, length, null, token)
            : _store.GetAsync(_key, lane.At, length, _remote.ETag, token)).ConfigureAwait(false);
        if (download.ContentLength > length)
        {
            // A server that ignores Range answers the object from its first byte: those bytes would land at this
            // lane's offset. A checked object would fail its ETag anyway; one that cannot be checked must not be written.
            download.Dispose();
            throw new InvalidDataException($"the server answered {download.ContentLength} bytes for a range of {length} (it ignored the Range header?)");
        }
        // Under the lock: a lane whose GET answers second returns only after the first one's callback has run, so no
        // part can be written before it.
        lock (_gate)
        {
            if (First is null)
            {
                First = download;
                Answered?.Invoke(download);
            }
        }
        return download;
    }

    /// <summary>Where the part the lane is in ends (its run's end for the last one).</summary>
    private long PartEnd(Lane lane) => Math.Min(lane.End, (lane.Part + 1) * _partSize);

    private InvalidDataException NotAsListed() => new($"the object's body is not the {_remote.Size} bytes listed (replaced during the restore?)");

    /// <summary>The lane's next chunk, up to the end of its part, into <c>counts[lane]</c>; 0 when it must ask again.</summary>
    private async Task ReadAsync(Lane lane, int[] counts, CancellationTokenSource cts)
    {
        var want = (int)Math.Min(lane.Chunk.Length, PartEnd(lane) - lane.At);
        try
        {
            var got = want == 0 ? 0 : await lane.Download!.Body.ReadAtLeastAsync(lane.Chunk.AsMemory(0, want), want, throwOnEndOfStream: false, cts.Token).ConfigureAwait(false);
            if (got != want) throw NotAsListed();
            counts[lane.Index] = got;
        }
        catch (TimeoutException e) when (!cts.IsCancellationRequested && (lane.Attempt < StalledBodyAttempts || lane.Part > lane.ResumedAt))
        {
            // Parts before this one are written and hashed: the next GET starts at this part. Two timeouts' worth from
            // one place, counted again once a part came whole.
            lane.Attempt = lane.Part > lane.ResumedAt ? 2 : lane.Attempt + 1;
            _logger.LogWarning("retrying GET {Key} (attempt {Next}/{Max}): {Why}", Printable.Escape(_shown), lane.Attempt, StalledBodyAttempts, e.Message);
            Release(lane);
            lane.At = lane.Part * _partSize;
            lane.ResumedAt = lane.Part;
            lane.Restart = true;
        }
        catch
        {
            cts.Cancel();
            throw;
        }
    }

    private async Task AdvanceAsync(Lane lane, Md5Lanes? md5, CancellationToken token)
    {
        if (lane.Download is null) return;
        if (lane.At < PartEnd(lane)) return;
        if (_hash == FetchHash.Parts)
        {
            PartMd5s![lane.Part] = md5!.Finish(lane.Index);
            PartWritten?.Invoke(lane.Part);
        }
        lane.Part++;
        if (lane.At < lane.End) return;
        if (_count == 1 && await lane.Download.Body.ReadAsync(lane.Chunk.AsMemory(0, 1), token).ConfigureAwait(false) > 0)
            throw NotAsListed();
        if (_hash == FetchHash.Whole) WholeMd5 = md5!.Finish(lane.Index);
        lane.Done = true;
        Release(lane);
    }

    /// <summary>Closes the lane's body, unless it is <see cref="First"/> (the caller's).</summary>
    private void Release(Lane lane)
    {
        if (lane.Download is { } d && d != First) d.Dispose();
        lane.Download = null;
    }
}
