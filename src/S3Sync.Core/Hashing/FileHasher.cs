using System.Buffers;
using System.Security.Cryptography;
using S3Sync.Remote;

namespace S3Sync.Hashing;

/// <summary>
/// Reads a file once and computes its MD5 and part MD5s together. For large files the whole-file MD5 and the
/// part MD5s run on two cores while the next chunk is read, so hashing runs at about one MD5's speed.
/// </summary>
public static class FileHasher
{
    private const int ChunkSize = 4 * 1024 * 1024;

    /// <summary>
    /// Hashes <paramref name="path"/>. <paramref name="extraPartSizes"/> are other part sizes whose multipart
    /// ETags are wanted (to recognise another tool's upload). Throws <see cref="FileChangedException"/> when the
    /// file's size or mtime changed during the read.
    /// </summary>
    public static Task<FileDigest> HashAsync(string path, IReadOnlyList<long>? extraPartSizes, CancellationToken cancellationToken) =>
        HashAsync(path, null, extraPartSizes, cancellationToken);

    /// <summary>As above; <paramref name="identity"/> is the file the walk listed, checked before a byte is read
    /// (<see cref="Local.LocalFile.OpenRead"/>).</summary>
    public static async Task<FileDigest> HashAsync(string path, Local.FileIdentity? identity, IReadOnlyList<long>? extraPartSizes, CancellationToken cancellationToken)
    {
        var before = new FileInfo(path);
        if (!before.Exists) throw new FileNotFoundException($"{path}: no longer exists", path);
        var (size, mtime) = (before.Length, before.LastWriteTimeUtc);
        var ownPartSize = ETag.IsMultipartSize(size) ? ETag.PartSizeFor(size) : 0;
        var partSizes = new List<long>();
        if (ownPartSize > 0) partSizes.Add(ownPartSize);
        foreach (var extra in extraPartSizes ?? []) if (!partSizes.Contains(extra)) partSizes.Add(extra);

        FileDigest digest;
        if (size == 0)
        {
            // Never opened: an empty file's MD5 is known, and a FIFO or device reporting size 0 would block a read.
            digest = new FileDigest(0, MD5.HashData(ReadOnlySpan<byte>.Empty), 0, [], new Dictionary<long, string>());
        }
        else
        {
            digest = await HashContentAsync(path, identity, size, ownPartSize, partSizes, cancellationToken).ConfigureAwait(false);
        }

        AfterContentRead.Value?.Invoke(path);
        before.Refresh();
        // Gone by the end of the read: deleted (the planner leaves it out, as a file deleted before its read), not changed.
        if (!before.Exists) throw new FileNotFoundException($"{path}: deleted while it was read", path);
        if (before.Length != size || before.LastWriteTimeUtc != mtime) throw new FileChangedException(path);
        return digest;
    }

    /// <summary>Test seam: called with the path after the content was read and before the file is looked at again
    /// (per async flow, so tests running side by side do not see each other's).</summary>
    internal static readonly AsyncLocal<Action<string>?> AfterContentRead = new();

    private static async Task<FileDigest> HashContentAsync(string path, Local.FileIdentity? identity, long size, long ownPartSize, List<long> partSizes, CancellationToken cancellationToken)
    {
        using var handle = Local.LocalFile.OpenRead(path, identity);
        return await HashHandleAsync(handle, path, size, ownPartSize, partSizes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Hashes the first <paramref name="size"/> bytes of an open file as <see cref="HashAsync(string, IReadOnlyList{long}, CancellationToken)"/>
    /// does a path: for a file this process wrote and holds open (a restore's temporary file), read back through the
    /// descriptor it was written by, so no name (which another user may point elsewhere) is involved.
    /// <paramref name="shown"/> names it in errors.
    /// </summary>
    public static Task<FileDigest> HashAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string shown, long size, IReadOnlyList<long>? extraPartSizes, CancellationToken cancellationToken)
    {
        var ownPartSize = ETag.IsMultipartSize(size) ? ETag.PartSizeFor(size) : 0;
        var partSizes = new List<long>();
        if (ownPartSize > 0) partSizes.Add(ownPartSize);
        foreach (var extra in extraPartSizes ?? []) if (!partSizes.Contains(extra)) partSizes.Add(extra);
        return size == 0
            ? Task.FromResult(new FileDigest(0, MD5.HashData(ReadOnlySpan<byte>.Empty), 0, [], new Dictionary<long, string>()))
            : HashHandleAsync(handle, shown, size, ownPartSize, partSizes, cancellationToken);
    }

    private static async Task<FileDigest> HashHandleAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, long size, long ownPartSize, List<long> partSizes, CancellationToken cancellationToken)
    {
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var parts = partSizes.Select(p => new PartHasher(p)).ToArray();
        var chunk = (int)Math.Min(ChunkSize, size);
        var current = ArrayPool<byte>.Shared.Rent(chunk);
        var next = ArrayPool<byte>.Shared.Rent(chunk);
        try
        {
            long offset = 0;
            var n = await ReadFullAsync(handle, current.AsMemory(0, chunk), offset, cancellationToken).ConfigureAwait(false);
            while (n > 0)
            {
                var data = current.AsMemory(0, n);
                var partsOffset = offset;
                Task hashing;
                if (parts.Length == 0)
                {
                    whole.AppendData(data.Span);
                    hashing = Task.CompletedTask;
                }
                else
                {
                    hashing = Task.WhenAll(
                        Task.Run(() => whole.AppendData(data.Span), cancellationToken),
                        Task.Run(() => { foreach (var p in parts) p.Append(data.Span, partsOffset); }, cancellationToken));
                }
                offset += n;
                var toRead = (int)Math.Min(chunk, Math.Max(0, size - offset));
                var m = toRead == 0 ? 0 : await ReadFullAsync(handle, next.AsMemory(0, toRead), offset, cancellationToken).ConfigureAwait(false);
                await hashing.ConfigureAwait(false);
                (current, next) = (next, current);
                n = m;
            }
            if (offset != size) throw new FileChangedException(path);
            var own = ownPartSize > 0 ? parts[0].Finish() : [];
            var others = new Dictionary<long, string>();
            foreach (var p in parts) if (p.PartSize != ownPartSize || ownPartSize == 0) others[p.PartSize] = ETag.FromParts(p.Finish());
            return new FileDigest(size, whole.GetHashAndReset(), ownPartSize, own, others);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
            foreach (var p in parts) p.Dispose();
        }
    }

    /// <summary>Reads until the buffer is full or the file ends.</summary>
    internal static async ValueTask<int> ReadFullAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Memory<byte> buffer, long offset, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await RandomAccess.ReadAsync(handle, buffer[total..], offset + total, cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>MD5s of consecutive parts of one part size, fed chunk by chunk.</summary>
    private sealed class PartHasher(long partSize) : IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        private readonly List<byte[]> _done = [];
        private long _inPart;

        public long PartSize => partSize;

        public void Append(ReadOnlySpan<byte> data, long offset)
        {
            while (data.Length > 0)
            {
                var take = (int)Math.Min(data.Length, partSize - _inPart);
                _hash.AppendData(data[..take]);
                _inPart += take;
                data = data[take..];
                if (_inPart == partSize)
                {
                    _done.Add(_hash.GetHashAndReset());
                    _inPart = 0;
                }
            }
        }

        public IReadOnlyList<byte[]> Finish()
        {
            if (_inPart > 0)
            {
                _done.Add(_hash.GetHashAndReset());
                _inPart = 0;
            }
            return _done;
        }

        public void Dispose() => _hash.Dispose();
    }
}
