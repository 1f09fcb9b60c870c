using System.Runtime.InteropServices;

namespace S3Sync.Watching;

/// <summary>The few libc calls inotify needs, as source-generated P/Invokes (Native AOT safe, no reflection).</summary>
internal static partial class Native
{
    public const int InNonBlock = 0x800;
    public const int InCloExec = 0x80000;
    public const int ONonBlock = 0x800;
    public const int OCloExec = 0x80000;

    public const uint InModify = 0x2;
    public const uint InCloseWrite = 0x8;
    public const uint InMovedFrom = 0x40;
    public const uint InMovedTo = 0x80;
    public const uint InCreate = 0x100;
    public const uint InDelete = 0x200;
    public const uint InDeleteSelf = 0x400;
    public const uint InMoveSelf = 0x800;
    public const uint InUnmount = 0x2000;
    public const uint InQOverflow = 0x4000;
    public const uint InIgnored = 0x8000;
    public const uint InOnlyDir = 0x01000000;
    public const uint InDontFollow = 0x02000000;
    public const uint InExclUnlink = 0x04000000;
    public const uint InIsDir = 0x40000000;

    public const short PollIn = 0x1;

    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int ENoSpc = 28;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int inotify_init1(int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int inotify_add_watch(int fd, string path, uint mask);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int inotify_rm_watch(int fd, int wd);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial int poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial int pipe2(int* fds, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int statx(int dirfd, byte* path, int flags, uint mask, Local.Posix.Statx* buffer);

    /// <summary>The device and inode of the folder at <paramref name="path"/> (links followed: local_path may be one);
    /// null when it is not a folder now. A replaced root (<c>mv root root.old; mv root.new root</c>) has another.</summary>
    public static unsafe Local.FileIdentity? FolderIdentity(string path)
    {
        var name = Local.Posix.CString(path);
        Local.Posix.Statx buffer;
        int rc;
        fixed (byte* p = name) rc = statx(Local.Posix.AtFdCwd, p, 0, Local.Posix.StatxBasicStats, &buffer);
        return rc == 0 && buffer.Type == Local.Posix.Directory ? buffer.Identity : null;
    }
}
