using System.Globalization;
using System.Runtime.InteropServices;
using S3Sync.Local;

namespace S3Sync.Config;

/// <summary>
/// Reads a file a user names: the configuration (<c>-c</c>, and again on every reload of <c>watch</c>),
/// <c>--exclude-from</c>, the SSE-C key file. Such a name can lead anywhere (a link to <c>/dev/zero</c>, a FIFO, a
/// 4 GB log), so the file must be a regular file of at most a bound (<see cref="MaxBytes"/> unless the caller's is
/// smaller), decided on the opened handle, never on the name:
/// <list type="bullet">
/// <item>the name is first opened <c>O_PATH</c> (links followed: a ConfigMap's <c>..data</c> link is normal): nothing is
/// read and nothing happens to a device or a FIFO; unless that handle is a regular file, it is refused unopened;</item>
/// <item>then it is opened for reading with <c>O_NONBLOCK</c> (a FIFO put in its place meanwhile cannot block the open)
/// and that handle must be the very file vetted (device and inode);</item>
/// <item>at most bound + 1 bytes are read, so a file that grows meanwhile is still refused without reading it all.</item>
/// </list>
/// Every refusal is one <see cref="UserFileException"/> whose message says what is wrong, without the path (the caller
/// names the file and the option).
/// </summary>
public static partial class UserFile
{
    /// <summary>The bound for every file a user names: 1 MiB. Nobody writes a longer configuration or list by hand.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>The file's bytes; throws <see cref="UserFileException"/> when it is missing, not a regular file, larger
    /// than <paramref name="maxBytes"/> or unreadable.</summary>
    /// <param name="what">What the file is meant to be, for messages ("a configuration file").</param>
    public static byte[] Read(string path, string what, int maxBytes = MaxBytes)
    {
        if (!OperatingSystem.IsLinux()) return ReadPortable(path, what, maxBytes);
        var name = Posix.CString(path);
        int pathFd;
        unsafe
        {
            fixed (byte* p = name) pathFd = Posix.openat(Posix.AtFdCwd, p, Posix.OPath | Posix.OCloExec, 0);
        }
        if (pathFd < 0) throw OpenError(Marshal.GetLastPInvokeError());
        Posix.Statx vetted;
        try
        {
            if (!Posix.TryStat(pathFd, out vetted)) throw new UserFileException($"cannot read: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            CheckRegular(vetted, what, maxBytes);
        }
        finally
        {
            Posix.close(pathFd);
        }
        int fd;
        unsafe
        {
            fixed (byte* p = name) fd = Posix.openat(Posix.AtFdCwd, p, Posix.ORdOnly | Posix.ONonBlock | Posix.ONoCtty | Posix.OCloExec, 0);
        }
        if (fd < 0) throw OpenError(Marshal.GetLastPInvokeError());
        try
        {
            if (!Posix.TryStat(fd, out var opened)) throw new UserFileException($"cannot read: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            CheckRegular(opened, what, maxBytes);
            if (opened.Identity != vetted.Identity) throw new UserFileException("was replaced while it was opened; try again");
            return ReadAtMost(fd, what, maxBytes);
        }
        finally
        {
            Posix.close(fd);
        }
    }

    /// <summary><see cref="Read"/> without the exception: null and why on failure.</summary>
    public static byte[]? TryRead(string path, string what, int maxBytes, out string why)
    {
        try
        {
            why = "";
            return Read(path, what, maxBytes);
        }
        catch (UserFileException e)
        {
            why = e.Message;
            return null;
        }
    }

    private static void CheckRegular(Posix.Statx stat, string what, int maxBytes)
    {
        if (stat.Type != Posix.RegularFile) throw new UserFileException($"is {KindOf(stat.Type)}, not {what}");
        if (stat.Size > (ulong)maxBytes) throw TooLarge((long)stat.Size, what, maxBytes);
    }

    /// <summary>"holds 2,097,152 bytes; a configuration file may hold at most 1,048,576" (-1: it grew while read).</summary>
    private static UserFileException TooLarge(long size, string what, int maxBytes) => new(size < 0
        ? string.Create(CultureInfo.InvariantCulture, $"holds more than {maxBytes:N0} bytes; {what} may hold at most {maxBytes:N0}")
        : string.Create(CultureInfo.InvariantCulture, $"holds {size:N0} bytes; {what} may hold at most {maxBytes:N0}"));

    private static string KindOf(int type) => type switch
    {
        Posix.Directory => "a directory",
        0x1000 => "a FIFO (named pipe)",
        0x2000 => "a character device",
        0x6000 => "a block device",
        0xC000 => "a socket",
        _ => "something else than a regular file",
    };

    private static UserFileException OpenError(int errno) => new(errno switch
    {
        Posix.ENoEnt => "no such file",
        Posix.ENotDir => "no such file (a folder on its path is a file)",
        Posix.EAccess => "cannot read: permission denied",
        Posix.ELoop => "cannot read: too many levels of symbolic links",
        _ => $"cannot read: {Marshal.GetPInvokeErrorMessage(errno)}",
    });

    private static unsafe byte[] ReadAtMost(int fd, string what, int maxBytes)
    {
        var buffer = new byte[Math.Min(maxBytes + 1, 64 * 1024)];
        var total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                if (buffer.Length > maxBytes) throw TooLarge(-1, what, maxBytes);
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, maxBytes + 1L));
            }
            nint n;
            fixed (byte* p = buffer) n = read(fd, p + total, buffer.Length - total);
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == 4) continue; // EINTR
                throw new UserFileException($"cannot read: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            if (n == 0) break;
            total += (int)n;
        }
        if (total > maxBytes) throw TooLarge(-1, what, maxBytes);
        return buffer[..total];
    }

    private static byte[] ReadPortable(string path, string what, int maxBytes)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new UserFileException(Directory.Exists(path) ? $"is a directory, not {what}" : "no such file");
            if (info.Length > maxBytes) throw TooLarge(info.Length, what, maxBytes);
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var buffer = new byte[maxBytes + 1];
            var total = 0;
            int n;
            while (total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0) total += n;
            if (total > maxBytes) throw TooLarge(-1, what, maxBytes);
            return buffer[..total];
        }
        catch (IOException e) { throw new UserFileException($"cannot read: {e.Message}"); }
        catch (UnauthorizedAccessException) { throw new UserFileException("cannot read: permission denied"); }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint read(int fd, byte* buffer, nint count);
}
