using System.Collections.Immutable;
using System.Security.Cryptography;

namespace S3Sync.Remote;

/// <summary>
/// S3 ETags as s3sync computes and reads them. A single-part object's ETag is the hex MD5 of its bytes;
/// a multipart object's is <c>hex(md5(part1_md5 ‖ part2_md5 ‖ …))-N</c>, which depends on the part size,
/// so a file's multipart ETag can only be reproduced by hashing it with the uploader's part size.
/// </summary>
public static class ETag
{
    public const long MiB = 1024 * 1024;

    /// <summary>Files larger than this go up in parts. At exactly this size a single PUT is used.</summary>
    public const long MultipartThreshold = 8 * MiB;

    public const long MinPartSize = 5 * MiB;
    public const int MaxParts = 10_000;

    /// <summary>
    /// The part size s3sync uses for a file: 8 MiB (the AWS CLI's default, so its uploads compare without
    /// guessing), grown in whole MiB until the file fits in 10,000 parts.
    /// </summary>
    public static long PartSizeFor(long size)
    {
        var part = 8 * MiB;
        if (size > part * MaxParts)
            part = CeilDiv(CeilDiv(size, MaxParts), MiB) * MiB;
        return part;
    }

    public static bool IsMultipartSize(long size) => size > MultipartThreshold;

    public static int PartCount(long size, long partSize) => size == 0 ? 1 : (int)CeilDiv(size, partSize);

    public static long CeilDiv(long a, long b) => (a + b - 1) / b;

    /// <summary>Strips quotes and lower-cases an ETag as servers return it.</summary>
    public static string Normalize(string? etag) => (etag ?? "").Trim().Trim('"').ToLowerInvariant();

    /// <summary>True for 32 hexadecimal digits: how an MD5 is written in an ETag or in metadata.</summary>
    public static bool IsMd5Hex(string s) => s.Length == 32 && s.All(char.IsAsciiHexDigit);

    /// <summary>Parses "hex" (parts = 0) or "hex-N" (parts = N); false when it is neither.</summary>
    public static bool TryParse(string? etag, out string hex, out int parts)
    {
        var e = Normalize(etag);
        hex = "";
        parts = 0;
        var dash = e.IndexOf('-', StringComparison.Ordinal);
        var body = dash < 0 ? e : e[..dash];
        if (!IsMd5Hex(body)) return false;
        if (dash >= 0 && (!int.TryParse(e[(dash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out parts) || parts < 1))
            return false;
        hex = body;
        return true;
    }

    public static string Hex(ReadOnlySpan<byte> md5) => Convert.ToHexStringLower(md5);

    /// <summary>The multipart ETag from the parts' MD5s.</summary>
    public static string FromParts(IReadOnlyList<byte[]> partMd5s)
    {
        var all = new byte[partMd5s.Count * 16];
        for (var i = 0; i < partMd5s.Count; i++) partMd5s[i].CopyTo(all, i * 16);
        return $"{Hex(MD5.HashData(all))}-{partMd5s.Count}";
    }

    /// <summary>Part sizes other tools use by default or are commonly set to, in MiB: rclone and the AWS SDKs 5,
    /// the AWS CLI 8, s3cmd 15, mc 16, s5cmd 50, and round values people pass to --part-size or --s3-chunk-size.</summary>
    private static readonly ImmutableArray<long> CommonPartSizesMiB = [5, 8, 10, 15, 16, 32, 50, 64, 100, 128];

    /// <summary>Whole-MiB part sizes giving N parts are all tried when there are at most this many.</summary>
    private const int MaxRangeCandidates = 4;

    /// <summary>
    /// The part sizes worth trying for a multipart ETag with <paramref name="parts"/> parts made by another
    /// tool: s3sync's own, the common ones (<see cref="CommonPartSizesMiB"/>), and every whole MiB that gives N
    /// parts when there are few of them (many parts leave a narrow range), else the smallest: size/N rounded up to a
    /// MiB. Each is kept only when it yields exactly N parts; each costs one more MD5 over the file, once (the hash
    /// cache keeps the ETag that matched).
    /// </summary>
    public static IReadOnlyList<long> CandidatePartSizes(long size, int parts)
    {
        var result = new List<long>();
        void Add(long partSize)
        {
            if (partSize > 0 && PartCount(size, partSize) == parts && !result.Contains(partSize)) result.Add(partSize);
        }
        Add(PartSizeFor(size));
        foreach (var mib in CommonPartSizesMiB) Add(mib * MiB);
        var smallest = CeilDiv(CeilDiv(size, parts), MiB);
        var range = 0;
        while (range <= MaxRangeCandidates && PartCount(size, (smallest + range) * MiB) == parts) range++;
        for (var i = 0; i < (range <= MaxRangeCandidates ? range : 1); i++) Add((smallest + i) * MiB);
        return result;
    }
}
