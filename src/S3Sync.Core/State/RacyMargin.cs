using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using S3Sync.Local;

namespace S3Sync.State;

/// <summary>
/// How much older than a hash a file's mtime and ctime must be for the hash to be trusted later (git's "racily clean"
/// rule): a write in the same timestamp tick as the read could leave the fingerprint as it was with new content.
/// <para>The margin follows what the clock and the file system really show, never less:</para>
/// <list type="bullet">
/// <item>the kernel stamps files from a coarse clock that lags the precise one by up to a tick: the lag is measured once
/// per state folder (a probe file written there 20 times, <see cref="FileName"/> remembers it) and doubled, never below
/// twice the coarse clock's resolution as it is now (<c>clock_getres</c>), and at least <see cref="MinimumNs"/>;</item>
/// <item>a file's own timestamps show its file system's granularity: stamps that are whole multiples of 10 ms, 1 s or
/// 2 s (exFAT, ext3, FAT, a file system without nanoseconds) add that step (a stamp is the write's time rounded down
/// to it);</item>
/// <item>a file on a network or FUSE file system (NFS, SMB, 9p, Ceph, FUSE...) is stamped by another machine's clock:
/// it keeps the old fixed margin of <see cref="Conservative"/> (1 s), as does a device not yet seen through a path.</item>
/// </list>
/// A file written a few milliseconds before a sync is then trusted at the next run instead of read again.
/// </summary>
public sealed partial class RacyMargin
{
    /// <summary>The file in the state folder that remembers the measured clock lag margin (nanoseconds, one line).</summary>
    public const string FileName = "racy-margin";

    /// <summary>The fixed margin of earlier versions, kept where another machine's clock stamps the files.</summary>
    public static readonly TimeSpan Conservative = TimeSpan.FromSeconds(1);

    /// <summary>The smallest margin ever used.</summary>
    public const long MinimumNs = 2_000_000;

    private const long ConservativeNs = 1_000_000_000;
    private static readonly ImmutableArray<long> Steps = [10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 2_000_000_000];
    private readonly ConcurrentDictionary<ulong, long> _deviceFloor = new();

    /// <summary>The margin with nothing measured: 1 s for every file, as before.</summary>
    public static RacyMargin Fixed { get; } = new(ConservativeNs, knowsDevices: false);

    private readonly bool _knowsDevices;

    private RacyMargin(long fineNs, bool knowsDevices)
    {
        FineNs = fineNs;
        _knowsDevices = knowsDevices;
    }

    /// <summary>A margin of <paramref name="fineNs"/> for local file systems (tests; <see cref="ForStateFolder"/> measures it).</summary>
    public static RacyMargin WithFine(long fineNs) => new(Math.Clamp(fineNs, MinimumNs, ConservativeNs), knowsDevices: true);

    /// <summary>The margin for files on a local file system with nanosecond stamps.</summary>
    public long FineNs { get; }

    /// <summary>
    /// The margin measured once for the state folder <paramref name="directory"/> (read from <see cref="FileName"/> when
    /// it holds a sane value, measured and written otherwise), never below twice the coarse clock's resolution now.
    /// Any failure gives <see cref="Fixed"/>: the margin is a guard, and the old one is always safe.
    /// </summary>
    public static RacyMargin ForStateFolder(string directory)
    {
        try
        {
            var path = Path.Combine(directory, FileName);
            var stored = StateFolder.ReadText(path)?.Trim();
            long fine;
            if (stored is not null && long.TryParse(stored, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= MinimumNs and <= ConservativeNs)
            {
                fine = value;
            }
            else
            {
                if (Measure(directory) is not { } measured) return Fixed;
                fine = measured;
                StateFolder.WriteText(path, fine.ToString(CultureInfo.InvariantCulture) + "\n");
            }
            return WithFine(Math.Max(fine, 2 * CoarseResolutionNs()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fixed;
        }
    }

    /// <summary>
    /// Twice the largest lag seen between the precise clock read just before a write and the ctime the write got, over
    /// 20 writes to a fresh probe file in <paramref name="directory"/>, at least twice the coarse clock's resolution.
    /// Null when the probe cannot be written.
    /// </summary>
    internal static long? Measure(string directory)
    {
        var probe = Path.Combine(directory, $".racy-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.DeleteOnClose };
            if (OperatingSystem.IsLinux()) options.UnixCreateMode = StateFolder.FileMode;
            using var stream = new FileStream(probe, options);
            long lag = 0;
            for (var i = 0; i < 20; i++)
            {
                var before = NowNs();
                stream.Position = 0;
                stream.WriteByte((byte)i);
                stream.Flush();
                if (FileFingerprint.TryRead(probe) is not { } stamp) return null;
                lag = Math.Max(lag, before - Math.Max(stamp.MtimeNs, stamp.CtimeNs));
            }
            return Math.Clamp(Math.Max(2 * lag, 2 * CoarseResolutionNs()), MinimumNs, ConservativeNs);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Learns the file system of <paramref name="device"/> from <paramref name="path"/> (once per device).</summary>
    public void Learn(ulong device, string path)
    {
        if (!_knowsDevices || _deviceFloor.ContainsKey(device)) return;
        _deviceFloor.TryAdd(device, IsRemote(FileSystemType(path)) ? ConservativeNs : 0);
    }

    /// <summary>The margin for a file with this fingerprint, in nanoseconds: the clock's lag plus the step its stamps
    /// show, 1 s on a file system stamped by another machine or not yet learned.</summary>
    public long Ns(FileFingerprint fingerprint)
    {
        if (!_knowsDevices || !_deviceFloor.TryGetValue(fingerprint.Device, out var floor)) return ConservativeNs;
        return Math.Max(floor, FineNs + StepShown(fingerprint.MtimeNs, fingerprint.CtimeNs));
    }

    /// <summary>True when a hash begun at <paramref name="hashedAtNs"/> cannot be trusted for this fingerprint.</summary>
    public bool IsRacy(FileFingerprint fingerprint, long hashedAtNs) =>
        Math.Max(fingerprint.MtimeNs, fingerprint.CtimeNs) > hashedAtNs - Ns(fingerprint);

    /// <summary>The coarsest step both stamps are whole multiples of (1 ns up to 2 s): what the file system shows of its
    /// granularity. A fine stamp that happens to be round only makes the margin larger, never smaller.</summary>
    internal static long StepShown(long mtimeNs, long ctimeNs)
    {
        long step = 1;
        foreach (var candidate in Steps)
        {
            if (mtimeNs % candidate != 0 || ctimeNs % candidate != 0) break;
            step = candidate;
        }
        return step;
    }

    /// <summary>File systems whose stamps come from another machine's clock, or from a FUSE daemon's.</summary>
    internal static bool IsRemote(long type) => type switch
    {
        0x6969 => true,                  // NFS
        0x517B => true,                  // SMB
        0xFE534D42 => true,              // SMB2
        0xFF534D42 => true,              // CIFS
        0x65735546 => true,              // FUSE
        0x01021997 => true,              // 9p (v9fs)
        0x00C36400 => true,              // Ceph
        0x5346414F => true,              // AFS
        0x6B414653 => true,              // kAFS
        0x47504653 => true,              // GPFS
        0x0BD00BD0 => true,              // Lustre
        0x013111A8 => true,              // IBRIX
        0x7461636F => true,              // OCFS2
        0x01161970 => true,              // GFS2
        -1 => true,                      // unknown: cannot tell
        _ => false,
    };

    private static long FileSystemType(string path)
    {
        if (!OperatingSystem.IsLinux()) return -1;
        var buffer = new long[16];
        return Native.statfs(path, buffer) == 0 ? buffer[0] & 0xFFFFFFFF : -1;
    }

    private static long CoarseResolutionNs()
    {
        if (!OperatingSystem.IsLinux()) return ConservativeNs / 2;
        var ts = new long[2];
        return Native.clock_getres(5 /* CLOCK_REALTIME_COARSE */, ts) == 0 ? Math.Clamp(ts[0] * 1_000_000_000 + ts[1], 1, ConservativeNs / 2) : ConservativeNs / 2;
    }

    private static long NowNs() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "statfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int statfs(string path, [Out] long[] buffer);

        [LibraryImport("libc", EntryPoint = "clock_getres")]
        public static partial int clock_getres(int clock, [Out] long[] timespec);
    }
}
