using System.Runtime.InteropServices;

namespace S3Sync.Local;

/// <summary>
/// The libc calls of the race-free walk (<see cref="LocalWalker"/>, <see cref="LocalFile"/>), as source-generated
/// P/Invokes (Native AOT safe). Names go in and come out as bytes: a Linux file name is bytes, not text.
/// </summary>
internal static unsafe partial class Posix
{
    public const int ORdOnly = 0, OPath = 0x200000, ONonBlock = 0x800, ODirectory = 0x10000, ONoFollow = 0x20000, OCloExec = 0x80000, ONoCtty = 0x100;
    public const int AtSymlinkNoFollow = 0x100, AtEmptyPath = 0x1000;
    public const uint StatxBasicStats = 0x7ff;
    public const int FileTypeMask = 0xF000, RegularFile = 0x8000, Directory = 0x4000, SymbolicLink = 0xA000;
    public const int ENoEnt = 2, EAccess = 13, ENotDir = 20, ELoop = 40;

    /// <summary>struct statx (linux/stat.h): the same 256 bytes on every architecture.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct Statx
    {
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(96)] public long CtimeSec;
        [FieldOffset(104)] public uint CtimeNsec;
        [FieldOffset(112)] public long MtimeSec;
        [FieldOffset(120)] public uint MtimeNsec;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;

        public readonly int Type => Mode & FileTypeMask;
        public readonly FileIdentity Identity => new(((ulong)DevMajor << 32) | DevMinor, Inode);
        public readonly DateTime MtimeUtc => DateTime.UnixEpoch.AddTicks(MtimeSec * TimeSpan.TicksPerSecond + MtimeNsec / 100);
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int openat(int dirfd, byte* path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int statx(int dirfd, byte* path, int flags, uint mask, Statx* buffer);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint fdopendir(int fd);

    /// <summary>glibc's readdir on 64-bit Linux is readdir64: d_ino at 0, d_reclen at 16, d_type at 18, d_name at 19.</summary>
    [LibraryImport("libc", SetLastError = true)]
    public static partial byte* readdir(nint dir);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int closedir(nint dir);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int dirfd(nint dir);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint readlinkat(int dirfd, byte* path, byte* buffer, nint size);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    public const int AtFdCwd = -100;

    /// <summary>A name as a NUL-terminated byte string.</summary>
    public static byte[] CString(ReadOnlySpan<byte> name)
    {
        var bytes = new byte[name.Length + 1];
        name.CopyTo(bytes);
        return bytes;
    }

    public static byte[] CString(string path) => CString(System.Text.Encoding.UTF8.GetBytes(path));

    /// <summary>statx of a name relative to a folder handle, never following a link; false with errno on failure.</summary>
    public static bool TryStat(int dirfd, byte[] name, out Statx stat, out int errno)
    {
        Statx buffer;
        int rc;
        fixed (byte* p = name) rc = statx(dirfd, p, AtSymlinkNoFollow, StatxBasicStats, &buffer);
        stat = buffer;
        errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        return rc == 0;
    }

    /// <summary>statx of an open handle.</summary>
    public static bool TryStat(int fd, out Statx stat)
    {
        Statx buffer;
        var empty = (byte)0;
        var rc = statx(fd, &empty, AtEmptyPath, StatxBasicStats, &buffer);
        stat = buffer;
        return rc == 0;
    }

    /// <summary>Where a link points, read relative to its folder's handle; null when it cannot be read.
    /// <paramref name="valid"/>: the target's bytes are valid UTF-8 (else the text has U+FFFD in their place).</summary>
    public static string? ReadLink(int dirfd, byte[] name, out bool valid)
    {
        var buffer = new byte[4096];
        nint n;
        fixed (byte* p = name)
        fixed (byte* b = buffer)
            n = readlinkat(dirfd, p, b, buffer.Length);
        valid = false;
        if (n < 0) return null;
        if (FileNames.TryDecode(buffer.AsSpan(0, (int)n), out var text))
        {
            valid = true;
            return text;
        }
        return FileNames.Lossy(buffer.AsSpan(0, (int)n));
    }

    /// <summary>Opens what a name relative to a folder handle leads to, links followed, as an <c>O_PATH</c> handle:
    /// nothing is read and nothing happens to a FIFO or a device; the handle can be stat'ed. Null on failure.</summary>
    public static int? OpenPath(int dirfd, byte[] name)
    {
        int fd;
        fixed (byte* p = name) fd = openat(dirfd, p, OPath | OCloExec, 0);
        return fd < 0 ? null : fd;
    }

    /// <summary>True when the name leads (links followed) to a folder.</summary>
    public static bool IsDirectoryFollowing(int dirfd, byte[] name)
    {
        Statx buffer;
        int rc;
        fixed (byte* p = name) rc = statx(dirfd, p, 0, StatxBasicStats, &buffer);
        return rc == 0 && buffer.Type == Directory;
    }

    /// <summary>The path the kernel knows an open handle by (<c>/proc/self/fd/N</c>): where the opened object is,
    /// whatever path led to it. Null when it cannot be told (no /proc).</summary>
    public static string? RealPath(int fd)
    {
        var link = CString("/proc/self/fd/" + fd.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var buffer = new byte[4096];
        nint n;
        fixed (byte* p = link)
        fixed (byte* b = buffer)
            n = readlinkat(AtFdCwd, p, b, buffer.Length);
        if (n <= 0 || buffer[0] != (byte)'/') return null;
        return FileNames.TryDecode(buffer.AsSpan(0, (int)n), out var text) ? text : null;
    }
}
