using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace S3Sync.Local;

/// <summary>
/// The folder a restore writes into, reached only through directory file descriptors: every folder on the way to a
/// file is opened with <c>O_NOFOLLOW | O_DIRECTORY</c> relative to its parent (<c>openat</c>, <c>mkdirat</c>), so a
/// symbolic link or a rename in the tree, planted before or during the restore, can never lead a write outside the
/// target. A file is written to a temporary name in its own folder (<see cref="IsTempName"/>), given its mode, owner
/// and mtime, and renamed over the real name (<c>renameat</c>) only once its content is verified.
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

    /// <summary>A path that reaches <paramref name="name"/> in <paramref name="folder"/> through the descriptor
    /// (<c>/proc/self/fd</c>), for code that takes paths: it cannot be redirected by a change in the tree.</summary>
    public static string PathOf(SafeFileHandle folder, string name) => $"/proc/self/fd/{Fd(folder)}/{name}";

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

    /// <summary>Owner and mtime of a symbolic link itself (a link has no mode of its own on Linux).</summary>
    public static void ApplyToLink(SafeFileHandle folder, string name, long mtimeNs, (int Uid, int Gid)? owner)
    {
        if (owner is { } o && Native.fchownat(Fd(folder), name, o.Uid, o.Gid, Native.AtSymlinkNoFollow) != 0) throw Error(name, "cannot set the link's owner");
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
        public const int ORdOnly = 0, OWrOnly = 1, ORdWr = 2, OCreat = 0x40, OExcl = 0x80, ONonblock = 0x800, ODirectory = 0x10000, ONofollow = 0x20000, OCloexec = 0x80000;
        public const int AtSymlinkNoFollow = 0x100;
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

        [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
        public static partial int dup(int fd);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int close(int fd);
    }
}
