using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;

namespace S3Sync.Hashing;

/// <summary>
/// The MD5s of up to 8 independent messages at once, for a restore whose ranged GETs bring several parts of one object
/// side by side: each message is one 32-bit lane of an SSE2 register (two registers of 4 lanes, their steps
/// interleaved), so the same instructions hash 8 parts. One MD5 keeps a core mostly waiting (each of its 64 steps
/// needs the step before); 8 lanes hash 1 GiB in about 0.5 s where OpenSSL's MD5 takes 1.6 s on the machine of
/// bench/RESTORE-w3.md. With fewer than 3 lanes (where that gain is gone) or without SSE2, each lane is an
/// <see cref="IncrementalHash"/>. Every result is the plain MD5 of its lane's bytes (RFC 1321), tested byte for byte
/// against <see cref="MD5"/>.
/// </summary>
public sealed class Md5Lanes : IDisposable
{
    public const int MaxLanes = 8;
    private const int Block = 64;

    private readonly IncrementalHash[]? _plain;
    private readonly long[] _lengths;
    private readonly byte[] _pending;
    private readonly int[] _pendingCount;
    private Vector128<uint> _a0, _b0, _c0, _d0, _a1, _b1, _c1, _d1;

    public Md5Lanes(int lanes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lanes, MaxLanes);
        Lanes = lanes;
        _lengths = new long[MaxLanes];
        _pending = new byte[MaxLanes * Block];
        _pendingCount = new int[MaxLanes];
        if (lanes < 3 || !Sse2.IsSupported) _plain = [.. Enumerable.Range(0, lanes).Select(_ => IncrementalHash.CreateHash(HashAlgorithmName.MD5))];
        for (var i = 0; i < MaxLanes; i++) Reset(i);
    }

    public int Lanes { get; }

    /// <summary>True when the lanes share SSE2 registers (else each is a plain MD5).</summary>
    public bool Vectorized => _plain is null;

    /// <summary>Adds <c>counts[i]</c> bytes from the start of <c>buffers[i]</c> to lane i's message (0: nothing).</summary>
    public void Append(ReadOnlySpan<byte[]> buffers, ReadOnlySpan<int> counts)
    {
        if (buffers.Length < Lanes || counts.Length < Lanes) throw new ArgumentException("one buffer and one count per lane");
        if (_plain is not null)
        {
            for (var i = 0; i < Lanes; i++)
                if (counts[i] > 0) _plain[i].AppendData(buffers[i], 0, counts[i]);
            return;
        }
        Span<int> at = stackalloc int[MaxLanes];
        var mask = 0;
        // A lane's bytes left from the last call first complete its pending block: those blocks go through together.
        for (var i = 0; i < Lanes; i++)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(counts[i], buffers[i].Length);
            _lengths[i] += counts[i];
            if (_pendingCount[i] == 0 || counts[i] == 0) continue;
            var n = Math.Min(Block - _pendingCount[i], counts[i]);
            buffers[i].AsSpan(0, n).CopyTo(_pending.AsSpan(i * Block + _pendingCount[i]));
            _pendingCount[i] += n;
            at[i] = n;
            if (_pendingCount[i] == Block) mask |= 1 << i;
        }
        if (mask != 0)
        {
            Span<int> one = stackalloc int[MaxLanes];
            for (var i = 0; i < Lanes; i++) one[i] = i * Block;
            Compress(mask, 1, _pending, one);
            for (var i = 0; i < Lanes; i++)
                if ((mask & 1 << i) != 0) _pendingCount[i] = 0;
        }
        // Whole blocks, as many lanes at a time as have them; what is left of a block waits for the next call.
        while (true)
        {
            mask = 0;
            var blocks = int.MaxValue;
            for (var i = 0; i < Lanes; i++)
            {
                var whole = _pendingCount[i] == 0 ? (counts[i] - at[i]) / Block : 0;
                if (whole == 0) continue;
                mask |= 1 << i;
                blocks = Math.Min(blocks, whole);
            }
            if (mask == 0) break;
            CompressLanes(mask, blocks, buffers, at);
            for (var i = 0; i < Lanes; i++)
                if ((mask & 1 << i) != 0) at[i] += blocks * Block;
        }
        for (var i = 0; i < Lanes; i++)
        {
            var rest = counts[i] - at[i];
            if (rest <= 0) continue;
            buffers[i].AsSpan(at[i], rest).CopyTo(_pending.AsSpan(i * Block + _pendingCount[i]));
            _pendingCount[i] += rest;
        }
    }

    /// <summary>The MD5 of lane <paramref name="lane"/>'s message; the lane starts a new one.</summary>
    public byte[] Finish(int lane)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(lane, Lanes);
        if (_plain is not null) return _plain[lane].GetHashAndReset();
        // RFC 1321's padding: 0x80, zeros, the length in bits; one block, or two when 8 bytes no longer fit.
        var last = new byte[2 * Block];
        var pending = _pendingCount[lane];
        _pending.AsSpan(lane * Block, pending).CopyTo(last);
        last[pending] = 0x80;
        var blocks = pending < Block - 8 ? 1 : 2;
        BinaryPrimitives.WriteUInt64LittleEndian(last.AsSpan(blocks * Block - 8), (ulong)_lengths[lane] * 8);
        Compress(1 << lane, blocks, last, stackalloc int[MaxLanes]);
        var (g, e) = (lane / 4, lane % 4);
        var md5 = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(md5, (g == 0 ? _a0 : _a1).GetElement(e));
        BinaryPrimitives.WriteUInt32LittleEndian(md5.AsSpan(4), (g == 0 ? _b0 : _b1).GetElement(e));
        BinaryPrimitives.WriteUInt32LittleEndian(md5.AsSpan(8), (g == 0 ? _c0 : _c1).GetElement(e));
        BinaryPrimitives.WriteUInt32LittleEndian(md5.AsSpan(12), (g == 0 ? _d0 : _d1).GetElement(e));
        Reset(lane);
        return md5;
    }

    /// <summary>Forgets lane <paramref name="lane"/>'s message so far.</summary>
    public void Reset(int lane)
    {
        if (_plain is not null)
        {
            if (lane < Lanes) _plain[lane].GetHashAndReset();
            return;
        }
        var e = lane % 4;
        if (lane < 4)
            (_a0, _b0, _c0, _d0) = (_a0.WithElement(e, 0x67452301u), _b0.WithElement(e, 0xefcdab89u), _c0.WithElement(e, 0x98badcfeu), _d0.WithElement(e, 0x10325476u));
        else
            (_a1, _b1, _c1, _d1) = (_a1.WithElement(e, 0x67452301u), _b1.WithElement(e, 0xefcdab89u), _c1.WithElement(e, 0x98badcfeu), _d1.WithElement(e, 0x10325476u));
        _lengths[lane] = 0;
        _pendingCount[lane] = 0;
    }

    public void Dispose()
    {
        foreach (var h in _plain ?? []) h.Dispose();
    }

    private void Compress(int mask, int blocks, byte[] buffer, ReadOnlySpan<int> offsets)
    {
        Span<byte[]> buffers = [buffer, buffer, buffer, buffer, buffer, buffer, buffer, buffer];
        CompressLanes(mask, blocks, buffers, offsets);
    }

    /// <summary><paramref name="blocks"/> blocks of each lane in <paramref name="mask"/>, from <c>buffers[i]</c> at
    /// <c>offsets[i]</c>. A lane outside the mask reads another lane's bytes and keeps its own state.</summary>
    private void CompressLanes(int mask, int blocks, ReadOnlySpan<byte[]> buffers, ReadOnlySpan<int> offsets)
    {
        var any = BitOperations.TrailingZeroCount(mask);
        Span<nint> from = stackalloc nint[MaxLanes];
        var lanes = new byte[MaxLanes][];
        for (var i = 0; i < MaxLanes; i++)
        {
            var lane = (mask & 1 << i) != 0 ? i : any;
            if (offsets[lane] + (long)blocks * Block > buffers[lane].Length) throw new ArgumentOutOfRangeException(nameof(blocks));
            lanes[i] = buffers[lane];
            from[i] = offsets[lane];
        }
        var keep0 = Vector128.Create(Lane(mask, 0), Lane(mask, 1), Lane(mask, 2), Lane(mask, 3));
        var keep1 = Vector128.Create(Lane(mask, 4), Lane(mask, 5), Lane(mask, 6), Lane(mask, 7));
        var (a0, b0, c0, d0, a1, b1, c1, d1) = (_a0, _b0, _c0, _d0, _a1, _b1, _c1, _d1);
        ref var p0 = ref MemoryMarshal.GetArrayDataReference(lanes[0]);
        ref var p1 = ref MemoryMarshal.GetArrayDataReference(lanes[1]);
        ref var p2 = ref MemoryMarshal.GetArrayDataReference(lanes[2]);
        ref var p3 = ref MemoryMarshal.GetArrayDataReference(lanes[3]);
        ref var p4 = ref MemoryMarshal.GetArrayDataReference(lanes[4]);
        ref var p5 = ref MemoryMarshal.GetArrayDataReference(lanes[5]);
        ref var p6 = ref MemoryMarshal.GetArrayDataReference(lanes[6]);
        ref var p7 = ref MemoryMarshal.GetArrayDataReference(lanes[7]);
        for (nint b = 0, step = 0; b < blocks; b++, step += Block)
        {
            Compress(ref a0, ref b0, ref c0, ref d0, ref a1, ref b1, ref c1, ref d1,
                ref Unsafe.Add(ref p0, from[0] + step), ref Unsafe.Add(ref p1, from[1] + step), ref Unsafe.Add(ref p2, from[2] + step), ref Unsafe.Add(ref p3, from[3] + step),
                ref Unsafe.Add(ref p4, from[4] + step), ref Unsafe.Add(ref p5, from[5] + step), ref Unsafe.Add(ref p6, from[6] + step), ref Unsafe.Add(ref p7, from[7] + step));
        }
        _a0 = Vector128.ConditionalSelect(keep0, a0, _a0);
        _b0 = Vector128.ConditionalSelect(keep0, b0, _b0);
        _c0 = Vector128.ConditionalSelect(keep0, c0, _c0);
        _d0 = Vector128.ConditionalSelect(keep0, d0, _d0);
        _a1 = Vector128.ConditionalSelect(keep1, a1, _a1);
        _b1 = Vector128.ConditionalSelect(keep1, b1, _b1);
        _c1 = Vector128.ConditionalSelect(keep1, c1, _c1);
        _d1 = Vector128.ConditionalSelect(keep1, d1, _d1);
    }

    private static uint Lane(int mask, int i) => (mask & 1 << i) != 0 ? ~0u : 0u;

    [InlineArray(16)]
    private struct Words
    {
        private Vector128<uint> _word;
    }

    /// <summary>Lane i of the four words <paramref name="first"/>..+3 of four blocks, one block per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(ref Words x, int first, ref byte l0, ref byte l1, ref byte l2, ref byte l3)
    {
        var r0 = Vector128.LoadUnsafe(ref Unsafe.Add(ref l0, first * 4)).AsUInt32();
        var r1 = Vector128.LoadUnsafe(ref Unsafe.Add(ref l1, first * 4)).AsUInt32();
        var r2 = Vector128.LoadUnsafe(ref Unsafe.Add(ref l2, first * 4)).AsUInt32();
        var r3 = Vector128.LoadUnsafe(ref Unsafe.Add(ref l3, first * 4)).AsUInt32();
        var t0 = Sse2.UnpackLow(r0, r1).AsUInt64();
        var t1 = Sse2.UnpackHigh(r0, r1).AsUInt64();
        var t2 = Sse2.UnpackLow(r2, r3).AsUInt64();
        var t3 = Sse2.UnpackHigh(r2, r3).AsUInt64();
        x[first] = Sse2.UnpackLow(t0, t2).AsUInt32();
        x[first + 1] = Sse2.UnpackHigh(t0, t2).AsUInt32();
        x[first + 2] = Sse2.UnpackLow(t1, t3).AsUInt32();
        x[first + 3] = Sse2.UnpackHigh(t1, t3).AsUInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Rotl(Vector128<uint> x, int s) => Vector128.ShiftLeft(x, s) | Vector128.ShiftRightLogical(x, 32 - s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> F(Vector128<uint> a, Vector128<uint> b, Vector128<uint> c, Vector128<uint> d, Vector128<uint> x, uint k, int s) =>
        b + Rotl(a + (d ^ (b & (c ^ d))) + x + Vector128.Create(k), s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> G(Vector128<uint> a, Vector128<uint> b, Vector128<uint> c, Vector128<uint> d, Vector128<uint> x, uint k, int s) =>
        b + Rotl(a + (c ^ (d & (b ^ c))) + x + Vector128.Create(k), s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> H(Vector128<uint> a, Vector128<uint> b, Vector128<uint> c, Vector128<uint> d, Vector128<uint> x, uint k, int s) =>
        b + Rotl(a + (b ^ c ^ d) + x + Vector128.Create(k), s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> I(Vector128<uint> a, Vector128<uint> b, Vector128<uint> c, Vector128<uint> d, Vector128<uint> x, uint k, int s) =>
        b + Rotl(a + (c ^ (b | ~d)) + x + Vector128.Create(k), s);

    /// <summary>
    /// One 64-byte block of each of the 8 lanes: RFC 1321's 64 steps (its table of constants and shifts), unrolled, the
    /// steps of lanes 0-3 (registers *0) and 4-7 (*1) interleaved so that one group's work fills the other's waits.
    /// </summary>
    private static void Compress(ref Vector128<uint> a0s, ref Vector128<uint> b0s, ref Vector128<uint> c0s, ref Vector128<uint> d0s,
        ref Vector128<uint> a1s, ref Vector128<uint> b1s, ref Vector128<uint> c1s, ref Vector128<uint> d1s,
        ref byte l0, ref byte l1, ref byte l2, ref byte l3, ref byte l4, ref byte l5, ref byte l6, ref byte l7)
    {
        Words x0 = default, x1 = default;
        for (var w = 0; w < 16; w += 4)
        {
            Transpose(ref x0, w, ref l0, ref l1, ref l2, ref l3);
            Transpose(ref x1, w, ref l4, ref l5, ref l6, ref l7);
        }
        var (a0, b0, c0, d0, a1, b1, c1, d1) = (a0s, b0s, c0s, d0s, a1s, b1s, c1s, d1s);
        // Round 1
        a0 = F(a0, b0, c0, d0, x0[0], 0xd76aa478u, 7);
        a1 = F(a1, b1, c1, d1, x1[0], 0xd76aa478u, 7);
        d0 = F(d0, a0, b0, c0, x0[1], 0xe8c7b756u, 12);
        d1 = F(d1, a1, b1, c1, x1[1], 0xe8c7b756u, 12);
        c0 = F(c0, d0, a0, b0, x0[2], 0x242070dbu, 17);
        c1 = F(c1, d1, a1, b1, x1[2], 0x242070dbu, 17);
        b0 = F(b0, c0, d0, a0, x0[3], 0xc1bdceeeu, 22);
        b1 = F(b1, c1, d1, a1, x1[3], 0xc1bdceeeu, 22);
        a0 = F(a0, b0, c0, d0, x0[4], 0xf57c0fafu, 7);
        a1 = F(a1, b1, c1, d1, x1[4], 0xf57c0fafu, 7);
        d0 = F(d0, a0, b0, c0, x0[5], 0x4787c62au, 12);
        d1 = F(d1, a1, b1, c1, x1[5], 0x4787c62au, 12);
        c0 = F(c0, d0, a0, b0, x0[6], 0xa8304613u, 17);
        c1 = F(c1, d1, a1, b1, x1[6], 0xa8304613u, 17);
        b0 = F(b0, c0, d0, a0, x0[7], 0xfd469501u, 22);
        b1 = F(b1, c1, d1, a1, x1[7], 0xfd469501u, 22);
        a0 = F(a0, b0, c0, d0, x0[8], 0x698098d8u, 7);
        a1 = F(a1, b1, c1, d1, x1[8], 0x698098d8u, 7);
        d0 = F(d0, a0, b0, c0, x0[9], 0x8b44f7afu, 12);
        d1 = F(d1, a1, b1, c1, x1[9], 0x8b44f7afu, 12);
        c0 = F(c0, d0, a0, b0, x0[10], 0xffff5bb1u, 17);
        c1 = F(c1, d1, a1, b1, x1[10], 0xffff5bb1u, 17);
        b0 = F(b0, c0, d0, a0, x0[11], 0x895cd7beu, 22);
        b1 = F(b1, c1, d1, a1, x1[11], 0x895cd7beu, 22);
        a0 = F(a0, b0, c0, d0, x0[12], 0x6b901122u, 7);
        a1 = F(a1, b1, c1, d1, x1[12], 0x6b901122u, 7);
        d0 = F(d0, a0, b0, c0, x0[13], 0xfd987193u, 12);
        d1 = F(d1, a1, b1, c1, x1[13], 0xfd987193u, 12);
        c0 = F(c0, d0, a0, b0, x0[14], 0xa679438eu, 17);
        c1 = F(c1, d1, a1, b1, x1[14], 0xa679438eu, 17);
        b0 = F(b0, c0, d0, a0, x0[15], 0x49b40821u, 22);
        b1 = F(b1, c1, d1, a1, x1[15], 0x49b40821u, 22);
        // Round 2
        a0 = G(a0, b0, c0, d0, x0[1], 0xf61e2562u, 5);
        a1 = G(a1, b1, c1, d1, x1[1], 0xf61e2562u, 5);
        d0 = G(d0, a0, b0, c0, x0[6], 0xc040b340u, 9);
        d1 = G(d1, a1, b1, c1, x1[6], 0xc040b340u, 9);
        c0 = G(c0, d0, a0, b0, x0[11], 0x265e5a51u, 14);
        c1 = G(c1, d1, a1, b1, x1[11], 0x265e5a51u, 14);
        b0 = G(b0, c0, d0, a0, x0[0], 0xe9b6c7aau, 20);
        b1 = G(b1, c1, d1, a1, x1[0], 0xe9b6c7aau, 20);
        a0 = G(a0, b0, c0, d0, x0[5], 0xd62f105du, 5);
        a1 = G(a1, b1, c1, d1, x1[5], 0xd62f105du, 5);
        d0 = G(d0, a0, b0, c0, x0[10], 0x02441453u, 9);
        d1 = G(d1, a1, b1, c1, x1[10], 0x02441453u, 9);
        c0 = G(c0, d0, a0, b0, x0[15], 0xd8a1e681u, 14);
        c1 = G(c1, d1, a1, b1, x1[15], 0xd8a1e681u, 14);
        b0 = G(b0, c0, d0, a0, x0[4], 0xe7d3fbc8u, 20);
        b1 = G(b1, c1, d1, a1, x1[4], 0xe7d3fbc8u, 20);
        a0 = G(a0, b0, c0, d0, x0[9], 0x21e1cde6u, 5);
        a1 = G(a1, b1, c1, d1, x1[9], 0x21e1cde6u, 5);
        d0 = G(d0, a0, b0, c0, x0[14], 0xc33707d6u, 9);
        d1 = G(d1, a1, b1, c1, x1[14], 0xc33707d6u, 9);
        c0 = G(c0, d0, a0, b0, x0[3], 0xf4d50d87u, 14);
        c1 = G(c1, d1, a1, b1, x1[3], 0xf4d50d87u, 14);
        b0 = G(b0, c0, d0, a0, x0[8], 0x455a14edu, 20);
        b1 = G(b1, c1, d1, a1, x1[8], 0x455a14edu, 20);
        a0 = G(a0, b0, c0, d0, x0[13], 0xa9e3e905u, 5);
        a1 = G(a1, b1, c1, d1, x1[13], 0xa9e3e905u, 5);
        d0 = G(d0, a0, b0, c0, x0[2], 0xfcefa3f8u, 9);
        d1 = G(d1, a1, b1, c1, x1[2], 0xfcefa3f8u, 9);
        c0 = G(c0, d0, a0, b0, x0[7], 0x676f02d9u, 14);
        c1 = G(c1, d1, a1, b1, x1[7], 0x676f02d9u, 14);
        b0 = G(b0, c0, d0, a0, x0[12], 0x8d2a4c8au, 20);
        b1 = G(b1, c1, d1, a1, x1[12], 0x8d2a4c8au, 20);
        // Round 3
        a0 = H(a0, b0, c0, d0, x0[5], 0xfffa3942u, 4);
        a1 = H(a1, b1, c1, d1, x1[5], 0xfffa3942u, 4);
        d0 = H(d0, a0, b0, c0, x0[8], 0x8771f681u, 11);
        d1 = H(d1, a1, b1, c1, x1[8], 0x8771f681u, 11);
        c0 = H(c0, d0, a0, b0, x0[11], 0x6d9d6122u, 16);
        c1 = H(c1, d1, a1, b1, x1[11], 0x6d9d6122u, 16);
        b0 = H(b0, c0, d0, a0, x0[14], 0xfde5380cu, 23);
        b1 = H(b1, c1, d1, a1, x1[14], 0xfde5380cu, 23);
        a0 = H(a0, b0, c0, d0, x0[1], 0xa4beea44u, 4);
        a1 = H(a1, b1, c1, d1, x1[1], 0xa4beea44u, 4);
        d0 = H(d0, a0, b0, c0, x0[4], 0x4bdecfa9u, 11);
        d1 = H(d1, a1, b1, c1, x1[4], 0x4bdecfa9u, 11);
        c0 = H(c0, d0, a0, b0, x0[7], 0xf6bb4b60u, 16);
        c1 = H(c1, d1, a1, b1, x1[7], 0xf6bb4b60u, 16);
        b0 = H(b0, c0, d0, a0, x0[10], 0xbebfbc70u, 23);
        b1 = H(b1, c1, d1, a1, x1[10], 0xbebfbc70u, 23);
        a0 = H(a0, b0, c0, d0, x0[13], 0x289b7ec6u, 4);
        a1 = H(a1, b1, c1, d1, x1[13], 0x289b7ec6u, 4);
        d0 = H(d0, a0, b0, c0, x0[0], 0xeaa127fau, 11);
        d1 = H(d1, a1, b1, c1, x1[0], 0xeaa127fau, 11);
        c0 = H(c0, d0, a0, b0, x0[3], 0xd4ef3085u, 16);
        c1 = H(c1, d1, a1, b1, x1[3], 0xd4ef3085u, 16);
        b0 = H(b0, c0, d0, a0, x0[6], 0x04881d05u, 23);
        b1 = H(b1, c1, d1, a1, x1[6], 0x04881d05u, 23);
        a0 = H(a0, b0, c0, d0, x0[9], 0xd9d4d039u, 4);
        a1 = H(a1, b1, c1, d1, x1[9], 0xd9d4d039u, 4);
        d0 = H(d0, a0, b0, c0, x0[12], 0xe6db99e5u, 11);
        d1 = H(d1, a1, b1, c1, x1[12], 0xe6db99e5u, 11);
        c0 = H(c0, d0, a0, b0, x0[15], 0x1fa27cf8u, 16);
        c1 = H(c1, d1, a1, b1, x1[15], 0x1fa27cf8u, 16);
        b0 = H(b0, c0, d0, a0, x0[2], 0xc4ac5665u, 23);
        b1 = H(b1, c1, d1, a1, x1[2], 0xc4ac5665u, 23);
        // Round 4
        a0 = I(a0, b0, c0, d0, x0[0], 0xf4292244u, 6);
        a1 = I(a1, b1, c1, d1, x1[0], 0xf4292244u, 6);
        d0 = I(d0, a0, b0, c0, x0[7], 0x432aff97u, 10);
        d1 = I(d1, a1, b1, c1, x1[7], 0x432aff97u, 10);
        c0 = I(c0, d0, a0, b0, x0[14], 0xab9423a7u, 15);
        c1 = I(c1, d1, a1, b1, x1[14], 0xab9423a7u, 15);
        b0 = I(b0, c0, d0, a0, x0[5], 0xfc93a039u, 21);
        b1 = I(b1, c1, d1, a1, x1[5], 0xfc93a039u, 21);
        a0 = I(a0, b0, c0, d0, x0[12], 0x655b59c3u, 6);
        a1 = I(a1, b1, c1, d1, x1[12], 0x655b59c3u, 6);
        d0 = I(d0, a0, b0, c0, x0[3], 0x8f0ccc92u, 10);
        d1 = I(d1, a1, b1, c1, x1[3], 0x8f0ccc92u, 10);
        c0 = I(c0, d0, a0, b0, x0[10], 0xffeff47du, 15);
        c1 = I(c1, d1, a1, b1, x1[10], 0xffeff47du, 15);
        b0 = I(b0, c0, d0, a0, x0[1], 0x85845dd1u, 21);
        b1 = I(b1, c1, d1, a1, x1[1], 0x85845dd1u, 21);
        a0 = I(a0, b0, c0, d0, x0[8], 0x6fa87e4fu, 6);
        a1 = I(a1, b1, c1, d1, x1[8], 0x6fa87e4fu, 6);
        d0 = I(d0, a0, b0, c0, x0[15], 0xfe2ce6e0u, 10);
        d1 = I(d1, a1, b1, c1, x1[15], 0xfe2ce6e0u, 10);
        c0 = I(c0, d0, a0, b0, x0[6], 0xa3014314u, 15);
        c1 = I(c1, d1, a1, b1, x1[6], 0xa3014314u, 15);
        b0 = I(b0, c0, d0, a0, x0[13], 0x4e0811a1u, 21);
        b1 = I(b1, c1, d1, a1, x1[13], 0x4e0811a1u, 21);
        a0 = I(a0, b0, c0, d0, x0[4], 0xf7537e82u, 6);
        a1 = I(a1, b1, c1, d1, x1[4], 0xf7537e82u, 6);
        d0 = I(d0, a0, b0, c0, x0[11], 0xbd3af235u, 10);
        d1 = I(d1, a1, b1, c1, x1[11], 0xbd3af235u, 10);
        c0 = I(c0, d0, a0, b0, x0[2], 0x2ad7d2bbu, 15);
        c1 = I(c1, d1, a1, b1, x1[2], 0x2ad7d2bbu, 15);
        b0 = I(b0, c0, d0, a0, x0[9], 0xeb86d391u, 21);
        b1 = I(b1, c1, d1, a1, x1[9], 0xeb86d391u, 21);
        a0s += a0;
        b0s += b0;
        c0s += c0;
        d0s += d0;
        a1s += a1;
        b1s += b1;
        c1s += c1;
        d1s += d1;
    }
}
