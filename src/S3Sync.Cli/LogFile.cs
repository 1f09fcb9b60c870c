using System.Runtime.InteropServices;

namespace S3Sync.Cli;

/// <summary>
/// <c>--log-file FILE</c> (rclone's flag): everything s3sync writes on stderr (logs, errors, summaries of problems) is
/// appended to FILE instead, as a shell's <c>2&gt;&gt;FILE</c> would, so every writer of stderr follows without
/// knowing. Taken only once the command line parsed (a usage error is said on stderr and creates no file). FILE is
/// opened safely: first as a path only (<c>O_PATH|O_NOFOLLOW</c>, which opens no device and connects to no FIFO or
/// socket) and refused unless that descriptor is a regular file; a missing one is created 0600 (<c>O_EXCL</c>: logs
/// name paths and keys); an existing one is then opened for appending without following a link or blocking, and taken
/// only if it is the same regular file (device and inode) that was checked. A symbolic link is never followed: one
/// planted in a shared log folder must not make a root run append to another file; <c>/dev/stdout</c> and
/// <c>/dev/stderr</c> are such links (leave <c>--log-file</c> out to keep stderr).
/// </summary>
internal static partial class LogFile
{
    private const int OWrOnly = 1, OCreat = 0x40, OExcl = 0x80, OAppend = 0x400, ONonBlock = 0x800, ONoFollow = 0x20000,
        OCloExec = 0x80000, ONoCtty = 0x100, OPath = 0x200000;
    private const int AtEmptyPath = 0x1000, FileTypeMask = 0xF000, RegularFile = 0x8000;
    private const int ENoEnt = 2;

    /// <summary>Opens <paramref name="path"/> for appending and makes it this process's stderr (fd 2). Returns null, or
    /// the one-line reason it was refused.</summary>
    public static string? Redirect(string path)
    {
        if (path.Length == 0) return "--log-file: empty file name";
        var fd = OpenChecked(path, out var refused);
        if (fd < 0) return $"--log-file: {path}: {refused}";
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

    /// <summary>A descriptor open for appending to the regular file <paramref name="path"/>, or -1 and why not.</summary>
    private static int OpenChecked(string path, out string? refused)
    {
        refused = null;
        var handle = open(path, OPath | ONoFollow | OCloExec, 0);
        if (handle < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != ENoEnt) { refused = Marshal.GetPInvokeErrorMessage(errno); return -1; }
            // Missing: made here, so it is a new regular file of ours (O_EXCL: nothing planted in between is opened).
            var created = open(path, OWrOnly | OCreat | OExcl | OAppend | ONoFollow | OCloExec | ONoCtty, Convert.ToInt32("600", 8));
            if (created < 0) refused = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
            return created;
        }
        var checkedId = Identify(handle, out var kind);
        close(handle);
        if (kind != RegularFile) { refused = Refusal(kind); return -1; }
        var fd = open(path, OWrOnly | OAppend | ONonBlock | ONoFollow | OCloExec | ONoCtty, 0);
        if (fd < 0) { refused = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()); return -1; }
        if (Identify(fd, out kind) != checkedId || kind != RegularFile)
        {
            close(fd);
            refused = "was replaced while it was opened; not taken";
            return -1;
        }
        return fd;
    }

    /// <summary>The file type bits and (device, inode) of an open descriptor, read with <c>statx</c>.</summary>
    private static (ulong Inode, uint Major, uint Minor) Identify(int fd, out int kind)
    {
        var stat = new byte[256];
        if (statx(fd, "", AtEmptyPath, 0x7ff, stat) != 0) { kind = -1; return default; }
        kind = BitConverter.ToUInt16(stat, 28) & FileTypeMask;
        return (BitConverter.ToUInt64(stat, 32), BitConverter.ToUInt32(stat, 136), BitConverter.ToUInt32(stat, 140));
    }

    private static string Refusal(int kind) => kind switch
    {
        0x1000 => "is a FIFO (named pipe), not a regular file",
        0x2000 => "is a character device, not a regular file",
        0x4000 => "is a directory, not a regular file",
        0x6000 => "is a block device, not a regular file",
        0xA000 => "is a symbolic link; give the file it points to",
        0xC000 => "is a socket, not a regular file",
        _ => "cannot be examined; not a regular file",
    };

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int dup2(int fd, int target);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
