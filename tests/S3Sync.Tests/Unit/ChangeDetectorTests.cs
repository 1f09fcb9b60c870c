using System.Security.Cryptography;
using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;

namespace S3Sync.Tests.Unit;

/// <summary>The change detector's truth table, one row per case, with fake digests and fingerprints.</summary>
public class ChangeDetectorTests
{
    private const long MiB = 1024 * 1024;
    private static readonly byte[] Content = [1, 2, 3];
    private static readonly string Md5 = Convert.ToHexStringLower(MD5.HashData(Content));
    private static readonly string Other = new('0', 32);

    public static TheoryData<string, long, string, string, string?, string?, ChangeReason, PlanAction> Cases => new()
    {
        // name, remote size, remote etag, remote class, head fingerprint ("none" = HEAD finds no fingerprint, null = no HEAD source), sse, reason, action
        { "same md5, same class", 3, Md5, "STANDARD", null, null, ChangeReason.InSync, PlanAction.None },
        { "size differs", 4, Md5, "STANDARD", null, null, ChangeReason.SizeDiffers, PlanAction.Upload },
        { "md5 differs", 3, Other, "STANDARD", null, null, ChangeReason.ChecksumDiffers, PlanAction.Upload },
        { "md5 differs, stale fingerprint matches", 3, Other, "STANDARD", Md5, null, ChangeReason.ChecksumDiffers, PlanAction.Upload },
        { "kms etag, fingerprint matches", 3, Other, "STANDARD", Md5, "aws:kms", ChangeReason.InSync, PlanAction.None },
        { "kms etag, fingerprint differs", 3, Other, "STANDARD", Other, "aws:kms", ChangeReason.ChecksumDiffers, PlanAction.Upload },
        { "md5 differs, fingerprint differs", 3, Other, "STANDARD", Other, null, ChangeReason.ChecksumDiffers, PlanAction.Upload },
        { "kms etag, no fingerprint", 3, Other, "STANDARD", "none", "aws:kms", ChangeReason.CannotCompare, PlanAction.None },
        { "unknown multipart, no head", 3, Other + "-2", "STANDARD", null, null, ChangeReason.CannotCompare, PlanAction.None },
        { "unknown multipart, fingerprint matches", 3, Other + "-2", "STANDARD", Md5, null, ChangeReason.InSync, PlanAction.None },
        { "unknown multipart, no fingerprint", 3, Other + "-2", "STANDARD", "none", null, ChangeReason.CannotCompare, PlanAction.None },
        { "garbage etag", 3, "xyz", "STANDARD", null, null, ChangeReason.CannotCompare, PlanAction.None },
        { "class differs", 3, Md5, "STANDARD_IA", null, null, ChangeReason.StorageClassDiffers, PlanAction.ChangeStorageClass },
        { "archived", 3, Md5, "GLACIER", null, null, ChangeReason.Archived, PlanAction.None },
        { "archived and content differs", 3, Other, "DEEP_ARCHIVE", null, null, ChangeReason.ChecksumDiffers, PlanAction.Upload },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Decides_by_size_then_content_then_class(string name, long remoteSize, string etag, string remoteClass, string? fingerprint, string? sse, ChangeReason reason, PlanAction action)
    {
        var fingerprints = fingerprint is null ? null : new FakeFingerprints(new ObjectHead(remoteSize, etag, remoteClass, fingerprint == "none" ? null : fingerprint, sse, false));
        var detector = new ChangeDetector("STANDARD", new FakeDigests(), fingerprints);
        var entry = await detector.CompareAsync(new LocalEntry("k", "/k", 3, DateTime.UnixEpoch), new RemoteObject("k", remoteSize, etag, remoteClass, DateTime.UnixEpoch), CancellationToken.None);
        Assert.True(reason == entry.Reason, $"{name}: expected {reason}, got {entry.Reason}");
        Assert.Equal(action, entry.Action);
    }

    [Theory]
    [InlineData(3, "STANDARD", ChangeReason.InSync, PlanAction.None)]
    [InlineData(3, "STANDARD_IA", ChangeReason.StorageClassDiffers, PlanAction.ChangeStorageClass)]
    [InlineData(4, "STANDARD", ChangeReason.SizeDiffers, PlanAction.Upload)]
    public async Task Size_only_decides_by_size_and_class_and_reads_nothing(long remoteSize, string remoteClass, ChangeReason reason, PlanAction action)
    {
        var digests = new CountingDigests();
        var detector = new ChangeDetector("STANDARD", digests, new FakeFingerprints(new ObjectHead(remoteSize, Other, remoteClass, Other, null, false)), uploadWhenUnsure: true,
            metadata: MetadataCheck.Always, comparison: ComparisonPolicy.SizeOnly);

        // Same size, other content (the ETag and the fingerprint say so): size-only takes it for the same.
        var entry = await detector.CompareAsync(new LocalEntry("k", "/k", 3, DateTime.UnixEpoch), new RemoteObject("k", remoteSize, Other, remoteClass, DateTime.UnixEpoch), CancellationToken.None);

        Assert.Equal(reason, entry.Reason);
        Assert.Equal(action, entry.Action);
        Assert.Equal(0, digests.Reads);
    }

    private sealed class CountingDigests : IDigestSource
    {
        public int Reads;

        public Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Reads);
            return Task.FromResult(new FileDigest(entry.Size, MD5.HashData(Content), 0, [], new Dictionary<long, string>()));
        }
    }

    [Fact]
    public async Task Recognises_another_tools_8_MiB_parts_without_a_head()
    {
        var size = 40 * MiB;
        var parts = Enumerable.Range(0, 5).Select(i => MD5.HashData([(byte)i])).ToArray();
        var digests = new FakeDigests { Extra = new Dictionary<long, string> { [8 * MiB] = ETag.FromParts(parts) } };
        var detector = new ChangeDetector("STANDARD", digests, null);
        var entry = await detector.CompareAsync(new LocalEntry("k", "/k", size, DateTime.UnixEpoch), new RemoteObject("k", size, ETag.FromParts(parts), "STANDARD", DateTime.UnixEpoch), CancellationToken.None);
        Assert.Equal(ChangeReason.InSync, entry.Reason);
        Assert.Empty(digests.Asked); // 8 MiB is s3sync's own part size: no other part size needed hashing
    }

    [Fact]
    public async Task Hashes_other_part_sizes_only_when_its_own_does_not_match()
    {
        // 9 MiB in 2 parts: s3sync's 8 MiB parts give 2 parts too, but this object was uploaded with 5 MiB parts.
        var size = 9 * MiB;
        var fiveMiB = ETag.FromParts([MD5.HashData([1]), MD5.HashData([2])]);
        var digests = new PartSizeDigests(new Dictionary<long, string> { [5 * MiB] = fiveMiB });
        var detector = new ChangeDetector("STANDARD", digests, null);

        var entry = await detector.CompareAsync(new LocalEntry("k", "/k", size, DateTime.UnixEpoch), new RemoteObject("k", size, fiveMiB, "STANDARD", DateTime.UnixEpoch), CancellationToken.None);

        Assert.Equal(ChangeReason.InSync, entry.Reason);
        Assert.Equal(2, digests.Calls.Count);
        Assert.Empty(digests.Calls[0]);
        Assert.Contains(5 * MiB, digests.Calls[1]);
    }

    /// <summary>Knows the multipart ETags of some part sizes, and answers only those asked for.</summary>
    private sealed class PartSizeDigests(Dictionary<long, string> known) : IDigestSource
    {
        public List<IReadOnlyList<long>> Calls { get; } = [];

        public Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, CancellationToken cancellationToken)
        {
            Calls.Add(extraPartSizes);
            var own = ETag.PartSizeFor(entry.Size);
            var parts = Enumerable.Range(0, ETag.PartCount(entry.Size, own)).Select(i => MD5.HashData([(byte)(i + 100)])).ToList();
            var others = extraPartSizes.Where(known.ContainsKey).ToDictionary(p => p, p => known[p]);
            return Task.FromResult(new FileDigest(entry.Size, MD5.HashData(Content), own, parts, others));
        }
    }

    public static TheoryData<string, string, string?, string?, ChangeReason> PartsOnlyCases => new()
    {
        // name, remote etag ("own" = s3sync's multipart ETag of the file), head fingerprint, sse, reason
        { "own multipart etag: no whole md5 needed", "own", null, null, ChangeReason.InSync },
        { "one-part etag of the file's md5 (another tool's PUT)", "md5", null, null, ChangeReason.InSync },
        { "kms etag, fingerprint matches", Other + "-2", "md5", "aws:kms", ChangeReason.InSync },
        { "kms etag, fingerprint differs", Other + "-2", Other, "aws:kms", ChangeReason.ChecksumDiffers },
    };

    /// <summary>A digest of part MD5s alone (a one-pass upload, a restore): where the whole MD5 decides, it is asked for
    /// (one read); where the part MD5s answer, it is not.</summary>
    [Theory]
    [MemberData(nameof(PartsOnlyCases))]
    public async Task A_digest_of_part_md5s_alone_is_completed_only_where_the_whole_md5_decides(string name, string etag, string? fingerprint, string? sse, ChangeReason reason)
    {
        var size = 9 * MiB;
        var digests = new PartsOnlyDigests();
        var known = await digests.GetAsync(new LocalEntry("k", "/k", size, DateTime.UnixEpoch), [], wholeMd5: true, default);
        etag = etag switch { "own" => known.OwnETag, "md5" => known.Md5Hex!, _ => etag };
        fingerprint = fingerprint == "md5" ? known.Md5Hex : fingerprint;
        digests.WholeAsked = 0;
        var fingerprints = fingerprint is null && sse is null ? null : new FakeFingerprints(new ObjectHead(size, etag, "STANDARD", fingerprint, sse, false));
        var detector = new ChangeDetector("STANDARD", digests, fingerprints);

        var entry = await detector.CompareAsync(new LocalEntry("k", "/k", size, DateTime.UnixEpoch), new RemoteObject("k", size, etag, "STANDARD", DateTime.UnixEpoch), CancellationToken.None);

        Assert.True(reason == entry.Reason, $"{name}: expected {reason}, got {entry.Reason}");
        Assert.Equal(etag == known.OwnETag ? 0 : 1, digests.WholeAsked);
    }

    /// <summary>Answers with part MD5s at s3sync's part size and no whole MD5, unless the whole MD5 is asked for.</summary>
    private sealed class PartsOnlyDigests : IDigestSource
    {
        public int WholeAsked { get; set; }

        public Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, CancellationToken cancellationToken) =>
            GetAsync(entry, extraPartSizes, wholeMd5: false, cancellationToken);

        public Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, bool wholeMd5, CancellationToken cancellationToken)
        {
            if (wholeMd5) WholeAsked++;
            var own = ETag.PartSizeFor(entry.Size);
            var parts = Enumerable.Range(0, ETag.PartCount(entry.Size, own)).Select(i => MD5.HashData([(byte)(i + 7)])).ToList();
            return Task.FromResult(new FileDigest(entry.Size, wholeMd5 ? MD5.HashData(Content) : null, own, parts, new Dictionary<long, string>()));
        }
    }

    [Fact]
    public async Task Uploads_what_it_cannot_compare_when_told_to()
    {
        var detector = new ChangeDetector("STANDARD", new FakeDigests(), null, uploadWhenUnsure: true);
        var entry = await detector.CompareAsync(new LocalEntry("k", "/k", 3, DateTime.UnixEpoch), new RemoteObject("k", 3, Other + "-3", "STANDARD", DateTime.UnixEpoch), CancellationToken.None);
        Assert.Equal((ChangeReason.CannotCompare, PlanAction.Upload), (entry.Reason, entry.Action));
    }

    private sealed class FakeDigests : IDigestSource
    {
        public Dictionary<long, string> Extra { get; init; } = [];
        public List<long> Asked { get; } = [];

        public Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, CancellationToken cancellationToken)
        {
            Asked.AddRange(extraPartSizes);
            return Task.FromResult(new FileDigest(entry.Size, MD5.HashData(Content), 0, [], Extra));
        }
    }

    private sealed class FakeFingerprints(ObjectHead head) : IFingerprintSource
    {
        public Task<ObjectHead?> HeadAsync(string relativeKey, CancellationToken cancellationToken) => Task.FromResult<ObjectHead?>(head);
    }
}
