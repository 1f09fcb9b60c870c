using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace S3Sync.Local;

/// <summary>
/// Opens a listed file for reading without following a link at its last component (<c>O_NOFOLLOW</c>, and
/// <c>O_NONBLOCK</c> so a FIFO put in its place cannot block), then checks before a byte is read that the handle is a
/// regular file and, when the walk recorded it, the very file listed (device and inode). The walk reached that file
/// through folder handles that never follow links, so a folder above swapped for a link leads to another inode and is
/// refused too. Every read of a local file for hashing or upload goes through here.
/// </summary>
public static class LocalFile
{
    public static SafeFileHandle OpenRead(string path, FileIdentity? expected)
    {
        if (!OperatingSystem.IsLinux()) return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        int fd;
        var name = Posix.CString(path);
        unsafe
        {
            fixed (byte* p = name) fd = Posix.openat(Posix.AtFdCwd, p, Posix.ORdOnly | Posix.ONoFollow | Posix.ONonBlock | Posix.ONoCtty | Posix.OCloExec, 0);
        }
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                Posix.ELoop => new FileSwappedException(path, "became a symbolic link"),
                Posix.ENoEnt => new FileNotFoundException($"{path}: no longer exists", path),
                Posix.ENotDir => new FileSwappedException(path, "a folder above it changed"),
                Posix.EAccess => new UnauthorizedAccessException($"{path}: permission denied"),
                _ => new IOException($"{path}: cannot open: {Marshal.GetPInvokeErrorMessage(errno)}"),
            };
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (!Posix.TryStat(fd, out var stat)) throw new IOException($"{path}: cannot stat the opened file");
            if (stat.Type != Posix.RegularFile) throw new FileSwappedException(path, "stopped being a regular file");
            if (expected is { } identity && stat.Identity != identity) throw new FileSwappedException(path, "was replaced by another file");
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The identity of the regular file at <paramref name="relative"/> (a key: '/' separators) under
    /// <paramref name="root"/>, reached without following a link anywhere below the root: each folder is opened by its
    /// parent's handle with <c>O_NOFOLLOW</c>. Null when a component is a link or not a folder, or the file is not a
    /// regular file (or is gone). <c>watch</c>'s event uploads use it as the walk uses its listing: the later read is
    /// checked against this identity.
    /// </summary>
    public static FileIdentity? IdentityBeneath(string root, string relative)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var parts = relative.Split('/');
        var fd = ParentBeneath(root, parts);
        if (fd < 0) return null;
        try
        {
            if (!Posix.TryStat(fd, Posix.CString(parts[^1]), out var stat, out _) || stat.Type != Posix.RegularFile) return null;
            return stat.Identity;
        }
        finally
        {
            Posix.close(fd);
        }
    }

    /// <summary>The target of the symbolic link at <paramref name="relative"/> below <paramref name="root"/>, reached
    /// without following a link on the way (as the walk reads links for <c>symlinks: preserve</c>); null when it is no
    /// link, cannot be reached so, or its target is not valid UTF-8.</summary>
    public static string? LinkBeneath(string root, string relative)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var parts = relative.Split('/');
        var fd = ParentBeneath(root, parts);
        if (fd < 0) return null;
        try
        {
            var target = Posix.ReadLink(fd, Posix.CString(parts[^1]), out var valid);
            return valid ? target : null;
        }
        finally
        {
            Posix.close(fd);
        }
    }

    /// <summary>What the link at <paramref name="relative"/> below <paramref name="root"/> leads to under
    /// <c>symlinks: follow</c>: reached without following a link on the way, then followed by the walk's own check
    /// (<see cref="FollowedLink"/>: inside local_path, by handle); null when it cannot be reached so.</summary>
    internal static FollowedLink? FollowBeneath(string root, string relative)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var parts = relative.Split('/');
        var fd = ParentBeneath(root, parts);
        if (fd < 0) return null;
        try
        {
            // local_path itself may be a link (the operator named it), as in the walk: its real path is the bound.
            int rootFd;
            unsafe
            {
                var rootName = Posix.CString(root);
                fixed (byte* p = rootName) rootFd = Posix.openat(Posix.AtFdCwd, p, Posix.OPath | Posix.ODirectory | Posix.OCloExec, 0);
            }
            if (rootFd < 0) return null;
            string rootReal;
            try
            {
                rootReal = Posix.RealPath(rootFd) ?? "";
            }
            finally
            {
                Posix.close(rootFd);
            }
            return FollowedLink.Open(fd, Posix.CString(parts[^1]), rootReal);
        }
        finally
        {
            Posix.close(fd);
        }
    }

    /// <summary>What <c>statx</c> says of the folder at <paramref name="relative"/> ("a/b/") below <paramref name="root"/>,
    /// reached without following a link (as the walk reaches folders); null when it is no folder or cannot be reached so.</summary>
    internal static Posix.Statx? FolderBeneath(string root, string relative)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var parts = relative.TrimEnd('/').Split('/');
        var fd = ParentBeneath(root, parts);
        if (fd < 0) return null;
        try
        {
            return Posix.TryStat(fd, Posix.CString(parts[^1]), out var stat, out _) && stat.Type == Posix.Directory ? stat : null;
        }
        finally
        {
            Posix.close(fd);
        }
    }

    /// <summary>The folder holding the last of <paramref name="parts"/>, opened (O_PATH) from the root one name at a
    /// time without following links; -1 when it cannot be.</summary>
    private static int ParentBeneath(string root, string[] parts)
    {
        int fd;
        unsafe
        {
            var rootName = Posix.CString(root);
            fixed (byte* p = rootName) fd = Posix.openat(Posix.AtFdCwd, p, Posix.OPath | Posix.ODirectory | Posix.OCloExec, 0);
        }
        if (fd < 0) return -1;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (parts[i].Length == 0 || parts[i] is "." or "..")
            {
                Posix.close(fd);
                return -1;
            }
            int next;
            unsafe
            {
                var name = Posix.CString(parts[i]);
                fixed (byte* p = name) next = Posix.openat(fd, p, Posix.OPath | Posix.ODirectory | Posix.ONoFollow | Posix.OCloExec, 0);
            }
            Posix.close(fd);
            fd = next;
            if (fd < 0) return -1;
        }
        return fd;
    }
}
