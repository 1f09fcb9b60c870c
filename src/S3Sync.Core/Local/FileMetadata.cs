using System.Runtime.InteropServices;

namespace S3Sync.Local;

/// <summary>
/// What a restore needs besides the bytes: modification time (Unix nanoseconds), <c>st_mode</c> (type and permission
/// bits), owner and group (ids, and names when the system knows them) and, for a symbolic link, its target. Stored with
/// every upload as object metadata (<see cref="Remote.ObjectMetadata"/>), applied by restore.
/// </summary>
public sealed partial record FileMetadata(long MtimeNs, int Mode, int? Uid = null, int? Gid = null, string? UserName = null, string? GroupName = null)
{
    /// <summary>File type bits of <c>st_mode</c>.</summary>
    public const int TypeMask = 0xF000, RegularFile = 0x8000, Directory = 0x4000, SymbolicLink = 0xA000;

    /// <summary>Permission bits including setuid, setgid and sticky (07777).</summary>
    public const int PermissionMask = 0xFFF;

    /// <summary>The target of a symbolic link, stored with <c>symlinks: preserve</c>; null for anything else.</summary>
    public string? LinkTarget { get; init; }

    public int Permissions => Mode & PermissionMask;

    public bool IsSymbolicLink => (Mode & TypeMask) == SymbolicLink;

    public DateTime MtimeUtc => DateTime.UnixEpoch.AddTicks(MtimeNs / 100);

    /// <summary>The setuid and setgid bits (06000): a restore that does not set the owner (<c>--no-owner</c>, not root)
    /// does not set them either, as they would lend the stored owner's rights to whoever restored.</summary>
    public const int SetIdBits = 0xC00;

    /// <summary>The widest range of modification times file systems hold (ext4's: 1901-12-13 to 2446-05-10, in Unix
    /// seconds); a stored mtime outside it is no file's. (Nanoseconds in a long end in 2262 before that: a later one
    /// does not even parse, <see cref="Remote.ObjectMetadata.ParseMtime"/>.)</summary>
    public const long MinMtimeSeconds = int.MinValue, MaxMtimeSeconds = 15_032_385_535;

    /// <summary>The longest link target Linux takes (PATH_MAX less the NUL).</summary>
    public const int MaxLinkTargetBytes = 4095;

    /// <summary>
    /// Why this metadata (read from an object anyone with write access to the bucket may have made) cannot be applied
    /// by a restore, or null: a link target that is empty, too long or holds a NUL (a percent-decoded <c>%00</c> would
    /// cut it short, as it would an owner's or group's name looked up on this host), a mode whose type is not a regular file's or, with a link target, not a link's (and the reverse),
    /// an mtime outside <see cref="MinMtimeSeconds"/>..<see cref="MaxMtimeSeconds"/>.
    /// </summary>
    public string? Problem(bool folder = false)
    {
        var seconds = Math.DivRem(MtimeNs, 1_000_000_000, out var rest) - (rest < 0 ? 1 : 0);
        if (seconds is < MinMtimeSeconds or > MaxMtimeSeconds)
            return $"the stored mtime {Remote.ObjectMetadata.FormatMtime(MtimeNs)} is outside the range a file system holds";
        if (UserName?.Contains('\0', StringComparison.Ordinal) == true || GroupName?.Contains('\0', StringComparison.Ordinal) == true)
            return "the stored owner or group name holds a NUL character";
        var type = Mode & TypeMask;
        if (folder)
        {
            // A folder marker ("a/"): a folder's mode, never a link's or a file's (a marker cannot make a file).
            if (LinkTarget is not null || type != Directory) return $"the stored mode {Convert.ToString(Mode, 8)} of a folder marker is not a folder's";
            return null;
        }
        if (LinkTarget is { } target)
        {
            if (type != SymbolicLink) return $"the object holds a link target but its mode {Convert.ToString(Mode, 8)} is not a link's";
            if (target.Length == 0) return "the stored link target is empty";
            if (target.Contains('\0', StringComparison.Ordinal)) return "the stored link target holds a NUL character";
            if (System.Text.Encoding.UTF8.GetByteCount(target) > MaxLinkTargetBytes) return $"the stored link target is longer than {MaxLinkTargetBytes} bytes";
            return null;
        }
        if (type == SymbolicLink) return "the object's mode is a link's but it holds no link target";
        if (type != RegularFile) return $"the stored mode {Convert.ToString(Mode, 8)} is not a regular file's";
        return null;
    }

    /// <summary>
    /// True when a restore from <paramref name="other"/> would leave this file as it is: same mtime to the nanosecond,
    /// same permission bits, same owner and group where both sides know them. Names are not compared (the ids are).
    /// This is the file, <paramref name="other"/> the object's: without <paramref name="owner"/> the file is compared
    /// with the object's mode less its setuid and setgid bits, which such a restore clears (<see cref="SetIdBits"/>).
    /// </summary>
    public bool SameAs(FileMetadata other, bool owner = true) =>
        MtimeNs == other.MtimeNs && Permissions == (owner ? other.Permissions : other.Permissions & ~SetIdBits)
        && (!owner || Uid is null || other.Uid is null || Uid == other.Uid)
        && (!owner || Gid is null || other.Gid is null || Gid == other.Gid)
        && LinkTarget == other.LinkTarget;

    /// <summary>A folder's metadata from the <c>statx</c> of its open handle (names looked up, cached per id).</summary>
    internal static FileMetadata OfFolder(in Posix.Statx stat) =>
        new(stat.MtimeSec * 1_000_000_000 + stat.MtimeNsec, stat.Mode, (int)stat.Uid, (int)stat.Gid, PosixAccounts.UserName((int)stat.Uid), PosixAccounts.GroupName((int)stat.Gid));

    /// <summary>Reads the metadata of <paramref name="path"/> itself (a link is not followed) with <c>statx(2)</c>, and
    /// the owner's and group's names (cached per id); null when it cannot be stat'ed or the platform has no statx.</summary>
    public static FileMetadata? TryRead(string path, bool followLinks = false)
    {
        if (!OperatingSystem.IsLinux()) return FromFileInfo(path);
        try
        {
            if (Native.statx(Native.AtFdCwd, path, followLinks ? 0 : Native.AtSymlinkNoFollow, Native.StatxBasicStats, out var b) != 0) return null;
            var uid = (int)b.Uid;
            var gid = (int)b.Gid;
            return new FileMetadata(b.MtimeSec * 1_000_000_000 + b.MtimeNsec, b.Mode, uid, gid, PosixAccounts.UserName(uid), PosixAccounts.GroupName(gid));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return FromFileInfo(path);
        }
    }

    /// <summary>The ctime (ns) of a path itself, a link not followed; null when it cannot be stat'ed.</summary>
    public static long? CtimeOfLink(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            if (Native.statx(Native.AtFdCwd, path, Native.AtSymlinkNoFollow, Native.StatxBasicStats, out var b) != 0) return null;
            return b.CtimeSec * 1_000_000_000 + b.CtimeNsec;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private static FileMetadata? FromFileInfo(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) return null;
        var mode = OperatingSystem.IsWindows() ? 0x1A4 : (int)info.UnixFileMode;
        return new FileMetadata((info.LastWriteTimeUtc - DateTime.UnixEpoch).Ticks * 100, RegularFile | mode);
    }

    private static partial class Native
    {
        public const int AtFdCwd = -100;
        public const uint StatxBasicStats = 0x7ff;
        public const int AtSymlinkNoFollow = 0x100;

        [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int statx(int dirfd, string path, int flags, uint mask, out StatxBuffer buffer);
    }

    /// <summary>struct statx (linux/stat.h), 256 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(96)] public long CtimeSec;
        [FieldOffset(104)] public uint CtimeNsec;
        [FieldOffset(112)] public long MtimeSec;
        [FieldOffset(120)] public uint MtimeNsec;
    }
}
