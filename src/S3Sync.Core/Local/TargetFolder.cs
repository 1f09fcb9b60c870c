using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace S3Sync.Local;

/// <summary>
/// The folder a restore writes into, reached only through directory file descriptors: every folder on the way to a
/// file is opened with <c>O_NOFOLLOW | O_DIRECTORY</c> relative to its parent (<c>openat</c>, <c>mkdirat</c>), so a
/// symbolic link or a rename in the tree, planted before or during the restore, can never lead a write outside the
/// target. A file is written to a temporary name in its own folder (<see cref="IsTempName"/>), verified, given its
/// mode, owner and mtime through the descriptor it was written by, flushed (<c>fsync</c>), and renamed over the real
/// name (<c>renameat</c>); then the name must lead to the inode written (<see cref="Holds"/>): a temporary file swapped
/// or unlinked by whoever can write to the folder is that key's error, never a restored file.
/// </summary>
public sealed partial class TargetFolder : IDisposable
{
    private const string TempPrefix = ".s3sync-restore-";
    private const string TempSuffix = ".part";
    private readonly SafeFileHandle _root;

    private TargetFolder(string path, SafeFileHandle root)
    {
        Path = path;
        _root = root;
    }

    /// <summary>The target folder's full path (for messages and the hash cache).</summary>
    public string Path { get; }

    /// <summary>True for the names restore gives its temporary files (<c>.s3sync-restore-&lt;32 hex&gt;.part</c>).</summary>
    public static bool IsTempName(string name) =>
        name.Length == TempPrefix.Length + 32 + TempSuffix.Length && name.StartsWith(TempPrefix, StringComparison.Ordinal)
        && name.EndsWith(TempSuffix, StringComparison.Ordinal) && IsHex(name.AsSpan(TempPrefix.Length, 32));

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s) if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f'))) return false;
        return true;
    }

    public static string NewTempName() => TempPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) + TempSuffix;

    /// <summary>Creates the folder (and its parents) when missing and opens it.</summary>
    public static TargetFolder Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(full);
        var fd = Native.open(full, Native.ORdOnly | Native.ODirectory | Native.OCloexec, 0);
        if (fd < 0) throw Error(full, "cannot open the folder");
        return new TargetFolder(full, new SafeFileHandle(fd, ownsHandle: true));
    }

    /// <summary>Opens the folder at <paramref name="segments"/> below the target, creating missing ones; never follows
    /// a link. Throws <see cref="IOException"/> naming the segment that is a file or a link.</summary>
    public SafeFileHandle OpenFolder(ReadOnlySpan<string> segments)
    {
        var current = Native.dup(_root.DangerousGetHandle().ToInt32());
        if (current < 0) throw Error(Path, "cannot open the folder");
        var walked = Path;
        foreach (var name in segments)
        {
            walked += "/" + name;
            var next = Native.openat(current, name, Native.ORdOnly | Native.ODirectory | Native.ONofollow | Native.OCloexec, 0);
            if (next < 0 && Marshal.GetLastPInvokeError() == Native.ENOENT)
            {
                if (Native.mkdirat(current, name, 0x1FF) != 0 && Marshal.GetLastPInvokeError() != Native.EEXIST)
                {
                    var e = Error(walked, "cannot create the folder");
                    Native.close(current);
                    throw e;
                }
                next = Native.openat(current, name, Native.ORdOnly | Native.ODirectory | Native.ONofollow | Native.OCloexec, 0);
            }
            if (next < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                Native.close(current);
                throw errno is Native.ENOTDIR or Native.ELOOP
                    ? new IOException($"{walked} is in the way: it is a file or a symbolic link, not a folder")
                    : Error(walked, "cannot open the folder", errno);
            }
            Native.close(current);
            current = next;
        }
        return new SafeFileHandle(current, ownsHandle: true);
    }

    /// <summary>
    /// For a dry run, which opens and creates nothing: why writing <paramref name="key"/> under <paramref name="root"/>
    /// would fail as <see cref="OpenFolder"/> and the rename fail it (a file or a link where a folder must be, a folder
    /// at the file's name), or null. By name: a dry run acts on nothing, so there is nothing to swap.
    /// </summary>
    public static string? Obstacle(string root, string key)
    {
        var segments = key.Split('/');
        var path = root.TrimEnd('/');
        for (var i = 0; i < segments.Length; i++)
        {
            path += "/" + segments[i];
            var info = new FileInfo(path);
            var link = info.LinkTarget is not null;
            var folder = !link && Directory.Exists(path);
            if (!link && !folder && !info.Exists) return null; // missing: the run creates it
            if (i < segments.Length - 1 && !folder) return $"{path} is in the way: it is a file or a symbolic link, not a folder";
            if (i == segments.Length - 1 && folder) return $"{segments[i]}: a folder of that name is in the way";
        }
        return null;
    }

    /// <summary>For a dry run: why the folder of marker <paramref name="key"/> ("a/b/") could not be made under
    /// <paramref name="root"/> (a file or a link at one of its names), or null. By name, as <see cref="Obstacle"/>.</summary>
    public static string? FolderObstacle(string root, string key)
    {
        var path = root.TrimEnd('/');
        foreach (var segment in key.TrimEnd('/').Split('/'))
        {
            path += "/" + segment;
            var info = new FileInfo(path);
            if (info.LinkTarget is not null || (info.Exists && !Directory.Exists(path))) return $"{path} is in the way: it is a file or a symbolic link, not a folder";
            if (!Directory.Exists(path)) return null;
        }
        return null;
    }

    /// <summary>Creates a new, empty file (<c>O_EXCL</c>, mode 0600 until <see cref="Apply"/>) in <paramref name="folder"/>.</summary>
    public static SafeFileHandle CreateFile(SafeFileHandle folder, string name)
    {
        var fd = Native.openat(Fd(folder), name, Native.ORdWr | Native.OCreat | Native.OExcl | Native.ONofollow | Native.OCloexec, 0x180);
        if (fd < 0) throw Error(name, "cannot create the file");
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Opens an existing regular file to change its metadata; a link is not followed (ELOOP is an error).</summary>
    public static SafeFileHandle OpenExisting(SafeFileHandle folder, string name)
    {
        var fd = Native.openat(Fd(folder), name, Native.ORdOnly | Native.ONofollow | Native.ONonblock | Native.OCloexec, 0);
        if (fd < 0) throw Error(name, "cannot open the file");
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Test seam: each fsync and rename as it happens (per async flow, so tests side by side do not see each
    /// other's): the step, the inode it acted on (the folder's for a rename) and the name renamed to.</summary>
    internal static readonly AsyncLocal<Action<string, FileIdentity, string?>?> Trace = new();

    /// <summary>What <c>statx</c> says of an open file: identity, type, size, times, owner.</summary>
    public readonly record struct Status(FileIdentity Identity, int Mode, long Size, long MtimeNs, long CtimeNs, int Uid, int Gid)
    {
        public int Type => Mode & 0xF000;

        public FileFingerprint Fingerprint => new(Identity.Device, Identity.Inode, Size, MtimeNs, CtimeNs);
    }

    /// <summary>The status of an open file (or folder, or <c>O_PATH</c> handle).</summary>
    public static Status StatOf(SafeFileHandle handle)
    {
        if (!Posix.TryStat(Fd(handle), out var b)) throw Error("", "cannot stat the file");
        return ToStatus(b);
    }

    /// <summary>The status of <paramref name="name"/> in <paramref name="folder"/> itself (a link is not followed); null
    /// when there is nothing of that name.</summary>
    public static Status? StatAt(SafeFileHandle folder, string name)
    {
        if (Posix.TryStat(Fd(folder), Posix.CString(name), out var b, out var errno)) return ToStatus(b);
        if (errno is Native.ENOENT) return null;
        throw Error(name, "cannot stat", errno);
    }

    private static Status ToStatus(in Posix.Statx b) => new(new FileIdentity(((ulong)b.DevMajor << 32) | b.DevMinor, b.Inode), b.Mode, (long)b.Size,
        b.MtimeSec * 1_000_000_000 + b.MtimeNsec, b.CtimeSec * 1_000_000_000 + b.CtimeNsec, (int)b.Uid, (int)b.Gid);

    /// <summary>True when <paramref name="name"/> in <paramref name="folder"/> is, right now, the inode
    /// <paramref name="handle"/> holds open (compared by device and inode, the name not followed).</summary>
    public static bool Holds(SafeFileHandle folder, string name, SafeFileHandle handle) =>
        StatAt(folder, name) is { } at && at.Identity == StatOf(handle).Identity;

    /// <summary>
    /// A read-only descriptor of the inode <paramref name="file"/> holds (through <c>/proc/self/fd</c>, which leads to
    /// the open file, not to a name), so the writable one can be closed before the file takes its name: its close is
    /// then an <c>IN_CLOSE_WRITE</c> of the temporary name, which a <c>watch</c> on the folder ignores, not of the real
    /// name, which it would upload again. Checked to be the same inode.
    /// </summary>
    public static SafeFileHandle ReadOnly(SafeFileHandle file)
    {
        var fd = Native.open($"/proc/self/fd/{Fd(file)}", Native.ORdOnly | Native.ONonblock | Native.OCloexec, 0);
        if (fd < 0) throw Error("", "cannot reopen the file written");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (StatOf(handle).Identity != StatOf(file).Identity)
        {
            handle.Dispose();
            throw new IOException("the file written could not be reopened as itself");
        }
        return handle;
    }

    /// <summary>Flushes a file's bytes and metadata, or a folder's entries, to the disk (<c>fsync</c>).</summary>
    public static void Sync(SafeFileHandle handle)
    {
        if (Native.fsync(Fd(handle)) != 0) throw Error("", "cannot flush to disk (fsync)");
        if (Trace.Value is { } trace) trace("fsync", StatOf(handle).Identity, null);
    }

    /// <summary>Sets mode, owner (when <paramref name="owner"/> gives ids) and mtime (atime too) on an open file.</summary>
    public static void Apply(SafeFileHandle file, int permissions, long mtimeNs, (int Uid, int Gid)? owner)
    {
        var fd = Fd(file);
        if (owner is { } o && Native.fchown(fd, o.Uid, o.Gid) != 0) throw Error("", "cannot set the owner");
        // After chown: it clears setuid/setgid bits.
        if (Native.fchmod(fd, permissions) != 0) throw Error("", "cannot set the mode");
        Span<long> times = [mtimeNs / 1_000_000_000, mtimeNs % 1_000_000_000, mtimeNs / 1_000_000_000, mtimeNs % 1_000_000_000];
        Normalize(times);
        if (Native.futimens(fd, ref MemoryMarshal.GetReference(times)) != 0) throw Error("", "cannot set the modification time");
    }

    /// <summary>Opens a symbolic link itself (<c>O_PATH | O_NOFOLLOW</c>): a handle to change its owner by, whatever
    /// the name leads to later. Throws when the name is not a link.</summary>
    public static SafeFileHandle OpenLink(SafeFileHandle folder, string name)
    {
        var fd = Native.openat(Fd(folder), name, Native.OPath | Native.ONofollow | Native.OCloexec, 0);
        if (fd < 0) throw Error(name, "cannot open the link");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (StatOf(handle).Type != 0xA000)
        {
            handle.Dispose();
            throw new IOException($"{name}: not a symbolic link any more (replaced while it was restored)");
        }
        return handle;
    }

    /// <summary>Where an <see cref="OpenLink"/> handle's link points (<c>readlinkat</c> on the handle itself, not a name).</summary>
    public static string ReadLink(SafeFileHandle link)
    {
        var buffer = new byte[4097];
        var n = Native.readlinkat(Fd(link), "", buffer, buffer.Length);
        if (n < 0) throw Error("", "cannot read the link");
        return System.Text.Encoding.UTF8.GetString(buffer, 0, (int)n);
    }

    /// <summary>Owner (through <paramref name="link"/>, an <see cref="OpenLink"/> handle) and mtime of a symbolic link
    /// itself (a link has no mode of its own on Linux).</summary>
    public static void ApplyToLink(SafeFileHandle folder, string name, SafeFileHandle link, long mtimeNs, (int Uid, int Gid)? owner)
    {
        if (owner is { } o && Native.fchownat(Fd(link), "", o.Uid, o.Gid, Native.AtEmptyPath | Native.AtSymlinkNoFollow) != 0) throw Error(name, "cannot set the link's owner");
        Span<long> times = [mtimeNs / 1_000_000_000, mtimeNs % 1_000_000_000, mtimeNs / 1_000_000_000, mtimeNs % 1_000_000_000];
        Normalize(times);
        if (Native.utimensat(Fd(folder), name, ref MemoryMarshal.GetReference(times), Native.AtSymlinkNoFollow) != 0) throw Error(name, "cannot set the link's modification time");
    }

    private static void Normalize(Span<long> times)
    {
        for (var i = 0; i < times.Length; i += 2)
            if (times[i + 1] < 0) { times[i]--; times[i + 1] += 1_000_000_000; }
    }

    public static void CreateLink(SafeFileHandle folder, string name, string target)
    {
        if (Native.symlinkat(target, Fd(folder), name) != 0) throw Error(name, "cannot create the link");
    }

    /// <summary>Renames within one folder, replacing a file or link of that name (never a folder: EISDIR).</summary>
    public static void Rename(SafeFileHandle folder, string from, string to)
    {
        if (Native.renameat(Fd(folder), from, Fd(folder), to) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno is Native.EISDIR or Native.ENOTEMPTY or Native.EEXIST
                ? new IOException($"{to}: a folder of that name is in the way")
                : Error(to, "cannot rename into place", errno);
        }
        if (Trace.Value is { } trace) trace("rename", StatOf(folder).Identity, to);
    }

    /// <summary>Removes a file or link (not a folder); true when it was there.</summary>
    public static bool Remove(SafeFileHandle folder, string name)
    {
        if (Native.unlinkat(Fd(folder), name, 0) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Native.ENOENT) return false;
        throw Error(name, "cannot delete", errno);
    }

    private static int Fd(SafeFileHandle handle) => handle.DangerousGetHandle().ToInt32();

    private static IOException Error(string path, string what, int errno = -1)
    {
        if (errno < 0) errno = Marshal.GetLastPInvokeError();
        var text = Marshal.GetPInvokeErrorMessage(errno);
        return new IOException(path.Length == 0 ? $"{what}: {text}" : $"{path}: {what}: {text}");
    }

    public void Dispose() => _root.Dispose();

    private static partial class Native
    {
        public const int ORdOnly = 0, OWrOnly = 1, ORdWr = 2, OCreat = 0x40, OExcl = 0x80, ONonblock = 0x800, ODirectory = 0x10000, ONofollow = 0x20000, OCloexec = 0x80000, OPath = 0x200000;
        public const int AtSymlinkNoFollow = 0x100, AtEmptyPath = 0x1000;
        public const int ENOENT = 2, EEXIST = 17, ENOTDIR = 20, EISDIR = 21, ELOOP = 40, ENOTEMPTY = 39;

        [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int open(string path, int flags, int mode);

        [LibraryImport("libc", EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int openat(int dirfd, string path, int flags, int mode);

        [LibraryImport("libc", EntryPoint = "mkdirat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int mkdirat(int dirfd, string path, int mode);

        [LibraryImport("libc", EntryPoint = "renameat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int renameat(int olddirfd, string oldpath, int newdirfd, string newpath);

        [LibraryImport("libc", EntryPoint = "unlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int unlinkat(int dirfd, string path, int flags);

        [LibraryImport("libc", EntryPoint = "symlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int symlinkat(string target, int dirfd, string path);

        [LibraryImport("libc", EntryPoint = "fchownat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int fchownat(int dirfd, string path, int uid, int gid, int flags);

        [LibraryImport("libc", EntryPoint = "utimensat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int utimensat(int dirfd, string path, ref long times, int flags);

        [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
        public static partial int fchmod(int fd, int mode);

        [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
        public static partial int fchown(int fd, int uid, int gid);

        [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
        public static partial int futimens(int fd, ref long times);


        [LibraryImport("libc", EntryPoint = "readlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial nint readlinkat(int dirfd, string path, byte[] buffer, nint size);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static partial int fsync(int fd);

        [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
        public static partial int dup(int fd);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int close(int fd);
    }
}
