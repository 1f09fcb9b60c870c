using System.Runtime.InteropServices;

namespace S3Sync.Local;

/// <summary>
/// What identifies one version of a file without reading it: device, inode, size, and modification and status
/// change times in nanoseconds. Any write moves the mtime; restoring the mtime (<c>touch -d</c>) moves the ctime,
/// and replacing the file (rename over it) changes the inode, so an equal fingerprint means the same content.
/// </summary>
public readonly partial record struct FileFingerprint(ulong Device, ulong Inode, long Size, long MtimeNs, long CtimeNs)
{
    /// <summary>Reads the fingerprint with <c>statx(2)</c> (following symlinks, as a read does); null when the file
    /// cannot be stat'ed or the platform has no statx.</summary>
    public static FileFingerprint? TryRead(string path)
    {
        if (!OperatingSystem.IsLinux()) return FromFileInfo(path);
        try
        {
            if (Native.statx(Native.AtFdCwd, path, 0, Native.StatxBasicStats, out var buffer) != 0) return null;
            return new FileFingerprint(
                ((ulong)buffer.DevMajor << 32) | buffer.DevMinor,
                buffer.Inode,
                (long)buffer.Size,
                buffer.MtimeSec * 1_000_000_000 + buffer.MtimeNsec,
                buffer.CtimeSec * 1_000_000_000 + buffer.CtimeNsec);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return FromFileInfo(path);
        }
    }

    /// <summary>
    /// True for a FIFO, a socket or a device node (not a file, a folder or a link, which it does not follow): things
    /// that have no content to upload, and that a read would block on (a FIFO) or fail on. Their size is 0, so only an
    /// empty entry costs a statx. False when the platform has no statx or the path cannot be stat'ed.
    /// </summary>
    public static bool IsSpecial(FileInfo info)
    {
        try
        {
            if (info.Length != 0 || !OperatingSystem.IsLinux()) return false;
            if (Native.statx(Native.AtFdCwd, info.FullName, Native.AtSymlinkNoFollow, Native.StatxType, out var buffer) != 0) return false;
            return (buffer.Mode & Native.FileTypeMask) is Native.Fifo or Native.CharDevice or Native.BlockDevice or Native.Socket;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or FileNotFoundException or DirectoryNotFoundException)
        {
            return false; // gone since it was listed: the caller's own stat says so
        }
    }

    /// <summary>Elsewhere: size and mtime only (no inode, no ctime), still enough to notice ordinary writes.</summary>
    private static FileFingerprint? FromFileInfo(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) return null;
        return new FileFingerprint(0, 0, info.Length, (info.LastWriteTimeUtc - DateTime.UnixEpoch).Ticks * 100, 0);
    }

    private static partial class Native
    {
        public const int AtFdCwd = -100;
        public const uint StatxBasicStats = 0x7ff;
        public const uint StatxType = 0x1;
        public const int AtSymlinkNoFollow = 0x100;
        public const int FileTypeMask = 0xF000, Fifo = 0x1000, CharDevice = 0x2000, BlockDevice = 0x6000, Socket = 0xC000;

        /// <summary>glibc's statx wrapper (2.28+). struct statx has the same layout on every architecture.</summary>
        [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int statx(int dirfd, string path, int flags, uint mask, out StatxBuffer buffer);
    }

    /// <summary>struct statx (linux/stat.h), 256 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(96)] public long CtimeSec;
        [FieldOffset(104)] public uint CtimeNsec;
        [FieldOffset(112)] public long MtimeSec;
        [FieldOffset(120)] public uint MtimeNsec;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;
    }
}
