using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace S3Sync.State;

/// <summary>
/// The state folder (hash cache, settings ledger, mount records) holds the list of every backed-up path, and what it
/// holds decides what is uploaded: it must be this user's alone. It is created 0700; an existing one must be owned
/// by this user and writable by nobody else, or the run stops (<see cref="StateFolderException"/>, exit 2), since
/// whoever can write in it can plant a link that s3sync would open, chmod or fill. The checks act on the folder's
/// handle (<c>fstat</c>, <c>fstatat</c> without following, <c>fchmod</c>); a folder only this user can write in keeps
/// its names, so SQLite, which opens by name, opens what was checked. No name the state uses (<c>hashes.db</c>, its
/// <c>-wal</c>, <c>-shm</c> and <c>-journal</c>, <c>settings/</c>, <c>mounts/</c>) may be a symbolic link, and the
/// ledgers' files are opened with <c>O_NOFOLLOW</c>; a database file with a second name (a hard link) is refused. What
/// others may only read is tightened, by handle.
/// </summary>
public static partial class StateFolder
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const int Others = 0x3F; // group and others: rwx rwx
    private const int WritableByOthers = 0x12; // group and others: w

    /// <summary>The database's file names (<see cref="HashCache.FileName"/> and SQLite's side files) and the folders of
    /// the ledgers: none may be a link.</summary>
    private static readonly ImmutableArray<string> DatabaseNames = ["", "-wal", "-shm", "-journal"];
    private static readonly ImmutableArray<string> FolderNames = ["settings", "mounts"];

    /// <summary>
    /// Creates <paramref name="directory"/> (0700, parents as needed) or checks an existing one: owned by this user,
    /// writable by no one else, no link at any name the state uses. Creates the database file 0600 when missing.
    /// </summary>
    /// <exception cref="StateFolderException">The folder is not this user's alone, or holds a link or a stranger's file.</exception>
    public static void Prepare(string directory, Action<string> warn)
    {
        if (!OperatingSystem.IsLinux()) { Directory.CreateDirectory(directory); return; }
        _ = warn;
        if (!Directory.Exists(directory)) Directory.CreateDirectory(directory, FolderMode);
        var fd = Open(-100, directory, ORdOnly | ODirectory | OCloExec);
        if (fd < 0) throw new StateFolderException($"state folder {directory} cannot be opened ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}); create a folder you own with mode 700 (mkdir -m 700 DIR) and point state_dir or --state-dir at it");
        try
        {
            var me = geteuid();
            if (!TryStat(fd, null, out var folder)) throw new StateFolderException($"state folder {directory} cannot be read");
            if (folder.Uid != me)
                throw new StateFolderException($"state folder {directory} is owned by uid {folder.Uid}, not by this user (uid {me}): it lists every backed-up path and decides what is uploaded; create a folder you own with mode 700 (mkdir -m 700 DIR) and point state_dir or --state-dir at it");
            if ((folder.Mode & WritableByOthers) != 0)
                throw new StateFolderException($"state folder {directory} is writable by others (mode {Octal(folder.Mode)}): whoever can write in it can plant links that s3sync would follow; run chmod 700 {directory} if the folder is s3sync's alone, else create a folder you own with mode 700 (mkdir -m 700 DIR) and point state_dir or --state-dir at it");
            if ((folder.Mode & Others) != 0) Tighten(fd, FolderMode);
            foreach (var suffix in DatabaseNames) CheckName(fd, directory, HashCache.FileName + suffix, RegularFile, me, FileMode);
            foreach (var name in FolderNames) CheckName(fd, directory, name, DirectoryType, me, FolderMode);
            // The database, created 0600 here (SQLite would create it with the umask's mode); O_EXCL never follows a link.
            var created = Open(fd, HashCache.FileName, OWrOnly | OCreat | OExcl | ONoFollow | OCloExec, (int)FileMode);
            if (created >= 0) close(created);
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>Refuses a link or a stranger's object at <paramref name="name"/> in the folder; tightens a readable one.</summary>
    private static void CheckName(int folder, string directory, string name, uint type, uint me, UnixFileMode mode)
    {
        if (!TryStat(folder, name, out var stat)) return; // absent
        var path = Path.Combine(directory, name);
        if ((stat.Mode & TypeMask) == SymbolicLink)
            throw new StateFolderException($"state folder {directory} holds a symbolic link {name}: s3sync opens nothing in its state folder through a link; remove {path}");
        if ((stat.Mode & TypeMask) != type)
            throw new StateFolderException($"{path} in the state folder is not a {(type == RegularFile ? "file" : "folder")}; remove it");
        if (stat.Uid != me)
            throw new StateFolderException($"{path} in the state folder is owned by uid {stat.Uid}, not by this user (uid {me}); remove it");
        // A second name for the file elsewhere (a hard link) would have SQLite write into, and fchmod change, that file.
        if (type == RegularFile && stat.Links > 1)
            throw new StateFolderException($"{path} in the state folder has {stat.Links} hard links: it is also another file; remove it");
        if ((stat.Mode & Others) == 0) return;
        // By handle, never by name: the handle is the object just checked (O_NOFOLLOW, and its identity compared).
        var fd = Open(folder, name, (type == RegularFile ? ORdOnly | ONonBlock : ORdOnly | ODirectory) | ONoFollow | OCloExec);
        if (fd < 0) return;
        try
        {
            if (TryStat(fd, null, out var opened) && opened.Inode == stat.Inode && opened.DevMajor == stat.DevMajor && opened.DevMinor == stat.DevMinor)
                Tighten(fd, mode);
        }
        finally
        {
            close(fd);
        }
    }

    private static void Tighten(int fd, UnixFileMode mode) => _ = fchmod(fd, (uint)mode);

    /// <summary>The text of a file in the state folder, never through a link; null when absent or unreadable.</summary>
    public static string? ReadText(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            try { return File.ReadAllText(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        }
        var fd = Open(-100, path, ORdOnly | ONoFollow | ONonBlock | OCloExec);
        if (fd < 0) return null;
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (!TryStat(fd, null, out var stat) || (stat.Mode & TypeMask) != RegularFile || stat.Size > 1 << 20) return null;
        try
        {
            using var stream = new FileStream(handle, FileAccess.Read);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Replaces a file in the state folder: written 0600 under a fresh temporary name (<c>O_EXCL</c>, never
    /// through a link), then renamed over the old one (a rename replaces a link, never follows it).</summary>
    public static void WriteText(string path, string text)
    {
        var folder = Path.GetDirectoryName(path)!;
        if (OperatingSystem.IsLinux()) Directory.CreateDirectory(folder, FolderMode);
        else Directory.CreateDirectory(folder);
        var temp = path + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write };
        if (OperatingSystem.IsLinux()) options.UnixCreateMode = FileMode;
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
            writer.Write(text);
        File.Move(temp, path, overwrite: true);
    }

    private static string Octal(uint mode) => Convert.ToString((int)(mode & 0xFFF), 8);

    private const int ORdOnly = 0, OWrOnly = 1, OCreat = 0x40, OExcl = 0x80, ONonBlock = 0x800, ODirectory = 0x10000, ONoFollow = 0x20000, OCloExec = 0x80000;
    private const int AtSymlinkNoFollow = 0x100, AtEmptyPath = 0x1000;
    private const uint TypeMask = 0xF000, RegularFile = 0x8000, DirectoryType = 0x4000, SymbolicLink = 0xA000;

    /// <summary>The fields of <c>struct statx</c> (linux/stat.h, 256 bytes on every architecture) the checks read.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct Stat
    {
        [FieldOffset(16)] public uint Links;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(28)] public ushort RawMode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;

        public readonly uint Mode => RawMode;
    }

    /// <summary>statx of a name in a folder (never following a link), or of the handle itself when name is null.</summary>
    private static unsafe bool TryStat(int fd, string? name, out Stat stat)
    {
        Stat buffer;
        var bytes = Encoding.UTF8.GetBytes((name ?? "") + "\0");
        int rc;
        fixed (byte* p = bytes) rc = statx(fd, p, name is null ? AtEmptyPath : AtSymlinkNoFollow, 0x7ff, &buffer);
        stat = buffer;
        return rc == 0;
    }

    private static unsafe int Open(int folder, string name, int flags, int mode = 0)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = bytes) return openat(folder, p, flags, mode);
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int openat(int dirfd, byte* path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int statx(int dirfd, byte* path, int flags, uint mask, Stat* buffer);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fchmod(int fd, uint mode);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}
