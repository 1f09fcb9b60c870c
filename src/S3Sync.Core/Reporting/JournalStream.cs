using System.Globalization;
using S3Sync.Local;

namespace S3Sync.Reporting;

/// <summary>
/// Whether a descriptor is systemd's journal stream: systemd sets <c>JOURNAL_STREAM=DEV:INODE</c> (decimal st_dev
/// and st_ino) for a service whose stdout or stderr is connected to journald. The variable alone proves nothing (it
/// is inherited by children whose stderr was redirected elsewhere), so the descriptor's own device and inode are
/// compared, as sd_journal_stream_fd(3) and systemd.exec(5) say. Then each line can carry an <c>&lt;N&gt;</c>
/// sd-daemon priority prefix, which journald strips and stores as the line's priority.
/// </summary>
public static class JournalStream
{
    public static bool Is(int fd, string? journalStream)
    {
        if (string.IsNullOrEmpty(journalStream) || !OperatingSystem.IsLinux()) return false;
        var parts = journalStream.Split(':');
        if (parts.Length != 2
            || !ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var dev)
            || !ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ino)) return false;
        if (!Posix.TryStat(fd, out var stat)) return false;
        // glibc's makedev(): how st_dev packs the major and minor numbers statx reports apart.
        ulong major = stat.DevMajor, minor = stat.DevMinor;
        var stDev = ((major & 0xfffff000UL) << 32) | ((major & 0xfffUL) << 8) | ((minor & 0xffffff00UL) << 12) | (minor & 0xffUL);
        return stDev == dev && stat.Inode == ino;
    }

    /// <summary>The sd-daemon prefix of a level (sd-daemon.h: 2 crit, 3 err, 4 warning, 6 info, 7 debug).</summary>
    public static string Prefix(Microsoft.Extensions.Logging.LogLevel level) => level switch
    {
        Microsoft.Extensions.Logging.LogLevel.Critical => "<2>",
        Microsoft.Extensions.Logging.LogLevel.Error => "<3>",
        Microsoft.Extensions.Logging.LogLevel.Warning => "<4>",
        Microsoft.Extensions.Logging.LogLevel.Information => "<6>",
        _ => "<7>",
    };
}
