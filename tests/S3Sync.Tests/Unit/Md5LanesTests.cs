using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using S3Sync.Hashing;

namespace S3Sync.Tests.Unit;

/// <summary>Each lane of <see cref="Md5Lanes"/> gives the plain MD5 of its own bytes, however they are cut.</summary>
public sealed class Md5LanesTests
{
    [Fact]
    public void Three_lanes_or_more_share_the_sse2_registers_and_fewer_are_plain_md5s()
    {
        using var eight = new Md5Lanes(8);
        using var three = new Md5Lanes(3);
        using var two = new Md5Lanes(2);
        Assert.Equal(Sse2.IsSupported, eight.Vectorized);
        Assert.Equal(Sse2.IsSupported, three.Vectorized);
        Assert.False(two.Vectorized);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(8)]
    public void Every_lane_is_the_md5_of_its_bytes_for_lengths_around_the_block_and_padding_edges(int lanes)
    {
        // Given one message per lane, of lengths at and around 0, 55/56 (where the length no longer fits the last
        // block), 64 and a few blocks, each lane a different length
        int[] lengths = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 70_001];
        var random = new Random(lanes);
        for (var round = 0; round < lengths.Length; round++)
        {
            var messages = Enumerable.Range(0, lanes).Select(i => Bytes(random, lengths[(round + i * 5) % lengths.Length])).ToArray();

            // When they are appended in lockstep, each lane cut at its own random points
            var got = HashInChunks(lanes, messages, random);

            // Then each lane's result is the MD5 of its message
            for (var i = 0; i < lanes; i++) Assert.Equal(MD5.HashData(messages[i]), got[i]);
        }
    }

    [Fact]
    public void Lanes_given_nothing_keep_their_state_while_the_others_move_on()
    {
        // Given 8 lanes where only lane 5 receives most of its message first, then every lane the rest
        var random = new Random(7);
        var messages = Enumerable.Range(0, 8).Select(i => Bytes(random, 1000 + 64 * i)).ToArray();
        using var md5 = new Md5Lanes(8);
        var buffers = messages.Select(m => new byte[m.Length]).ToArray();
        var counts = new int[8];
        messages[5].AsSpan(0, 640).CopyTo(buffers[5]);
        counts[5] = 640;
        md5.Append(buffers, counts);
        for (var i = 0; i < 8; i++)
        {
            var from = i == 5 ? 640 : 0;
            messages[i].AsSpan(from).CopyTo(buffers[i]);
            counts[i] = messages[i].Length - from;
        }
        md5.Append(buffers, counts);

        // Then every lane is its message's MD5
        for (var i = 0; i < 8; i++) Assert.Equal(MD5.HashData(messages[i]), md5.Finish(i));
    }

    [Fact]
    public void A_finished_or_reset_lane_starts_a_new_message()
    {
        var random = new Random(3);
        using var md5 = new Md5Lanes(4);
        var first = Bytes(random, 300);
        var second = Bytes(random, 200);
        var buffers = new[] { first, first, first, first };
        md5.Append(buffers, [300, 300, 300, 300]);
        Assert.Equal(MD5.HashData(first), md5.Finish(0));
        md5.Reset(1);
        buffers = [second, second, second, second];
        md5.Append(buffers, [200, 200, 0, 0]);
        Assert.Equal(MD5.HashData(second), md5.Finish(0));
        Assert.Equal(MD5.HashData(second), md5.Finish(1));
        Assert.Equal(MD5.HashData(first), md5.Finish(2));
        Assert.Equal(MD5.HashData(first), md5.Finish(3));
        Assert.Equal(MD5.HashData([]), md5.Finish(3));
    }

    [Fact]
    public void Eight_lanes_of_8_MiB_parts_in_256_KiB_chunks_are_the_parts_md5s()
    {
        // The restore's own shape: 8 parts side by side, 256 KiB at a time
        const int part = 8 << 20, chunk = 256 << 10;
        var random = new Random(14);
        var parts = Enumerable.Range(0, 8).Select(_ => Bytes(random, part)).ToArray();
        using var md5 = new Md5Lanes(8);
        var buffers = Enumerable.Range(0, 8).Select(_ => new byte[chunk]).ToArray();
        var counts = Enumerable.Repeat(chunk, 8).ToArray();
        for (var at = 0; at < part; at += chunk)
        {
            for (var i = 0; i < 8; i++) parts[i].AsSpan(at, chunk).CopyTo(buffers[i]);
            md5.Append(buffers, counts);
        }
        for (var i = 0; i < 8; i++) Assert.Equal(MD5.HashData(parts[i]), md5.Finish(i));
    }

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Appends every message in rounds; in each round every lane gives the next 0 to 200 bytes of its own.</summary>
    private static byte[][] HashInChunks(int lanes, byte[][] messages, Random random)
    {
        using var md5 = new Md5Lanes(lanes);
        var at = new int[lanes];
        var buffers = Enumerable.Range(0, lanes).Select(_ => new byte[1024]).ToArray();
        var counts = new int[lanes];
        while (Enumerable.Range(0, lanes).Any(i => at[i] < messages[i].Length))
        {
            for (var i = 0; i < lanes; i++)
            {
                counts[i] = Math.Min(messages[i].Length - at[i], random.Next(0, 3) == 0 ? random.Next(0, 1024) : random.Next(0, 200));
                messages[i].AsSpan(at[i], counts[i]).CopyTo(buffers[i]);
                at[i] += counts[i];
            }
            md5.Append(buffers, counts);
        }
        return [.. Enumerable.Range(0, lanes).Select(md5.Finish)];
    }
}
