using System.Runtime.InteropServices;

namespace S3Sync.Cli;

/// <summary>
/// <c>--log-file FILE</c> (rclone's flag): everything s3sync writes on stderr (logs, errors, summaries of problems) is
/// appended to FILE instead, as a shell's <c>2&gt;&gt;FILE</c> would, so every writer of stderr follows without
/// knowing. FILE is opened once, safely: never through a symbolic link (<c>O_NOFOLLOW</c>: a link planted in a shared
/// log folder must not make a root run append to another file), without blocking on a FIFO (<c>O_NONBLOCK</c>), and
/// only a regular file is taken (checked on the open descriptor, so a swap between check and use is impossible).
/// A new file is created 0600: logs name paths and keys.
/// </summary>
internal static partial class LogFile
{
    private const int OWrOnly = 1, OCreat = 0x40, OAppend = 0x400, ONonBlock = 0x800, ONoFollow = 0x20000, OCloExec = 0x80000, ONoCtty = 0x100;
    private const int AtEmptyPath = 0x1000, RegularFile = 0x8000, FileTypeMask = 0xF000;
    private const int ELoop = 40, ENxio = 6;

    /// <summary>The value of <c>--log-file</c> in <paramref name="args"/> (before a <c>--</c>), or null.</summary>
    public static string? Find(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--") break;
            if (args[i] == "--log-file") return i + 1 < args.Length ? args[i + 1] : null;
            if (args[i].StartsWith("--log-file=", StringComparison.Ordinal)) return args[i]["--log-file=".Length..];
        }
        return null;
    }

    /// <summary>Opens <paramref name="path"/> for appending and makes it this process's stderr (fd 2). Returns null, or
    /// the one-line reason it was refused.</summary>
    public static string? Redirect(string path)
    {
        if (path.Length == 0) return "--log-file: empty file name";
        var fd = open(path, OWrOnly | OCreat | OAppend | ONonBlock | ONoFollow | OCloExec | ONoCtty, Convert.ToInt32("600", 8));
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno switch
            {
                ELoop => $"--log-file: {path}: is a symbolic link; give the file it points to",
                ENxio => $"--log-file: {path}: is a FIFO with no reader, not a regular file",
                _ => $"--log-file: {path}: {Marshal.GetPInvokeErrorMessage(errno)}",
            };
        }
        var stat = new byte[256];
        if (statx(fd, "", AtEmptyPath, 0x7ff, stat) != 0 || (BitConverter.ToUInt16(stat, 28) & FileTypeMask) != RegularFile)
        {
            close(fd);
            return $"--log-file: {path}: not a regular file";
        }
        // O_NONBLOCK stays: Linux ignores it for regular files, the only kind taken.
        if (dup2(fd, 2) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            close(fd);
            return $"--log-file: {path}: {Marshal.GetPInvokeErrorMessage(errno)}";
        }
        close(fd);
        return null;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int dup2(int fd, int target);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
