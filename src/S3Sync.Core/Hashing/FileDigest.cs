using System.Buffers;
using System.Security.Cryptography;
using S3Sync.Remote;

namespace S3Sync.Hashing;

/// <summary>
/// What s3sync knows of a file's content: its MD5 and, for files that go up in parts, the MD5 of each part
/// at s3sync's part size, plus the multipart ETags at any other part sizes asked for.
/// <para>For a file of multipart size the whole-file <see cref="Md5"/> is optional: a file uploaded in one read pass
/// (hashed part by part as the parts went up) or restored in s3sync's own part layout is known by its part MD5s alone,
/// which answer every comparison with s3sync's multipart ETag. What needs the whole MD5 (an encrypted object's stored
/// fingerprint, a one-part ETag of another tool, the fingerprint in metadata) asks the digest source for it
/// (<see cref="Planning.IDigestSource.GetAsync(Local.LocalEntry, IReadOnlyList{long}, bool, CancellationToken)"/>), which
/// reads the file once and remembers it. A file at or under the threshold always has it: it is its ETag.</para>
/// </summary>
public sealed record FileDigest(long Size, byte[]? Md5, long PartSize, IReadOnlyList<byte[]> PartMd5s, IReadOnlyDictionary<long, string> OtherETags)
{
    /// <summary>True when the whole-file MD5 is known (always for a file of one part).</summary>
    public bool HasMd5 => Md5 is { Length: 16 };

    /// <summary>The whole-file MD5 in hex, or null when only the part MD5s are known.</summary>
    public string? Md5Hex => HasMd5 ? ETag.Hex(Md5) : null;

    /// <summary>True when it came from a hash-cache row the file still matches (see <see cref="Planning.IDigestSource.FromCache"/>).</summary>
    public bool FromCache { get; init; }

    /// <summary>The ETag an upload by s3sync of this file produces.</summary>
    public string OwnETag => PartMd5s.Count == 0 ? Md5Hex ?? "" : ETag.FromParts(PartMd5s);

    /// <summary>True when the remote ETag matches this content with any part size that was hashed. A one-part ETag of a
    /// file whose whole MD5 is not known does not match: ask for the digest with its MD5 first.</summary>
    public bool Matches(string remoteETag)
    {
        if (!ETag.TryParse(remoteETag, out var hex, out var parts)) return false;
        var normalized = ETag.Normalize(remoteETag);
        if (parts == 0) return Md5Hex is { } own && hex == own;
        return OwnETag == normalized || OtherETags.Values.Contains(normalized);
    }
}
