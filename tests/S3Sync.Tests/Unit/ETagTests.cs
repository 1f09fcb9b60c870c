using System.Security.Cryptography;
using System.Text;
using S3Sync.Hashing;
using S3Sync.Remote;

namespace S3Sync.Tests.Unit;

public class ETagTests
{
    private const long MiB = 1024 * 1024;

    [Theory]
    [InlineData(0L, 8 * MiB)]
    [InlineData(8 * MiB + 1, 8 * MiB)]
    [InlineData(80_000 * MiB, 8 * MiB)]           // exactly 10,000 parts of 8 MiB
    [InlineData(80_000 * MiB + 1, 9 * MiB)]       // one byte more: grow to whole MiB
    [InlineData(5L * 1024 * 1024 * MiB, 525 * MiB)] // 5 TiB, S3's largest object
    public void Part_size_stays_within_10000_parts(long size, long expected)
    {
        var part = ETag.PartSizeFor(size);
        Assert.Equal(expected, part);
        Assert.True(ETag.PartCount(size, part) <= ETag.MaxParts);
        Assert.Equal(0, part % MiB);
    }

    [Theory]
    [InlineData("\"d41d8cd98f00b204e9800998ecf8427e\"", "d41d8cd98f00b204e9800998ecf8427e", 0, true)]
    [InlineData("D41D8CD98F00B204E9800998ECF8427E-12", "d41d8cd98f00b204e9800998ecf8427e", 12, true)]
    [InlineData("", "", 0, false)]
    [InlineData("abc", "", 0, false)]
    [InlineData("d41d8cd98f00b204e9800998ecf8427e-0", "", 0, false)]
    [InlineData("d41d8cd98f00b204e9800998ecf8427e-x", "", 0, false)]
    public void Parses_single_and_multipart_etags(string etag, string hex, int parts, bool ok)
    {
        Assert.Equal(ok, ETag.TryParse(etag, out var h, out var p));
        if (ok)
        {
            Assert.Equal(hex, h);
            Assert.Equal(parts, p);
        }
    }

    [Fact]
    public void Multipart_etag_is_md5_of_concatenated_part_md5s()
    {
        // Known vector: two parts "hello " and "world".
        var p1 = MD5.HashData(Encoding.ASCII.GetBytes("hello "));
        var p2 = MD5.HashData(Encoding.ASCII.GetBytes("world"));
        var expected = Convert.ToHexStringLower(MD5.HashData([.. p1, .. p2])) + "-2";
        Assert.Equal(expected, ETag.FromParts([p1, p2]));
        Assert.Equal("d41d8cd98f00b204e9800998ecf8427e", ETag.Hex(MD5.HashData(Array.Empty<byte>())));
    }

    [Fact]
    public void Candidate_part_sizes_each_yield_the_part_count()
    {
        var size = 40 * MiB;
        var candidates = ETag.CandidatePartSizes(size, 5);
        Assert.Contains(8 * MiB, candidates);
        Assert.All(candidates, c => Assert.Equal(5, ETag.PartCount(size, c)));
        Assert.Contains(5 * MiB, ETag.CandidatePartSizes(size, 8));
        Assert.Contains(7 * MiB, ETag.CandidatePartSizes(size, 6)); // ceil(40/6)=6.67 -> 7 MiB
    }

    [Theory]
    [InlineData(120, 3, 50)]  // s5cmd's default part size
    [InlineData(25, 3, 10)]   // rclone --s3-chunk-size 10M
    [InlineData(250, 3, 100)] // --part-size 100
    public void Candidate_part_sizes_include_other_tools_defaults_and_round_values(long sizeMiB, int parts, long partMiB)
    {
        Assert.Contains(partMiB * MiB, ETag.CandidatePartSizes(sizeMiB * MiB + 12345, parts));
    }

    [Fact]
    public void Every_whole_mib_part_size_is_a_candidate_when_the_parts_are_many()
    {
        var size = 2L * 1024 * MiB + 12345;
        for (var p = 5L; p <= 40; p++)
        {
            var parts = ETag.PartCount(size, p * MiB);
            var candidates = ETag.CandidatePartSizes(size, parts);
            Assert.Contains(p * MiB, candidates);
            Assert.True(candidates.Count <= 1 + 10 + 4, $"{candidates.Count} candidates for {parts} parts");
        }
    }

    [Fact]
    public async Task Hasher_computes_md5_and_part_md5s_in_one_read()
    {
        var path = Path.GetTempFileName();
        try
        {
            var data = new byte[(int)(17 * MiB + 3)];
            new Random(7).NextBytes(data);
            await File.WriteAllBytesAsync(path, data);
            var digest = await FileHasher.HashAsync(path, [5 * MiB], CancellationToken.None);

            Assert.Equal(Convert.ToHexStringLower(MD5.HashData(data)), digest.Md5Hex);
            Assert.Equal(8 * MiB, digest.PartSize);
            Assert.Equal(ExpectedETag(data, 8 * MiB), digest.OwnETag);
            Assert.Equal(ExpectedETag(data, 5 * MiB), digest.OtherETags[5 * MiB]);
            Assert.True(digest.Matches(ExpectedETag(data, 5 * MiB)));
            Assert.False(digest.Matches(ExpectedETag(data, 6 * MiB)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string ExpectedETag(byte[] data, long partSize) =>
        ETag.FromParts([.. data.Chunk((int)partSize).Select(MD5.HashData)]);
}
