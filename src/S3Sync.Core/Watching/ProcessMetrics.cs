using System.Globalization;
using System.Runtime.InteropServices;

namespace S3Sync.Watching;

/// <summary>
/// The standard <c>process_*</c> metrics of Prometheus clients, read from <c>/proc/self</c> at each scrape (as
/// client_golang's process collector does): CPU seconds, resident and virtual memory, open and maximum descriptors,
/// start time. Nothing is written where <c>/proc</c> cannot be read (another OS, a hardened sandbox).
/// </summary>
internal static partial class ProcessMetrics
{
    private const int ScClkTck = 2;

    [LibraryImport("libc")]
    private static partial long sysconf(int name);

    public static void Write(MetricsWriter writer)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            // /proc/self/stat: the second field is "(comm)" and may hold spaces; fields are counted after its ')'.
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            double ticks = sysconf(ScClkTck) is > 0 and var t ? t : 100;
            // After ')': state is field 3 of stat(5), so field N is fields[N - 3].
            var utime = long.Parse(fields[14 - 3], CultureInfo.InvariantCulture);
            var stime = long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
            var start = long.Parse(fields[22 - 3], CultureInfo.InvariantCulture);
            var vsize = long.Parse(fields[23 - 3], CultureInfo.InvariantCulture);
            var rss = long.Parse(fields[24 - 3], CultureInfo.InvariantCulture);
            writer.Sample("process_cpu_seconds_total", "", (utime + stime) / ticks);
            writer.Sample("process_resident_memory_bytes", "", rss * (double)Environment.SystemPageSize);
            writer.Sample("process_virtual_memory_bytes", "", vsize);
            if (BootTime() is { } boot) writer.Sample("process_start_time_seconds", "", boot + start / ticks);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
        }
        try
        {
            writer.Sample("process_open_fds", "", Directory.EnumerateFileSystemEntries("/proc/self/fd").Count());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        if (MaxFds() is { } max) writer.Sample("process_max_fds", "", max);
    }

    /// <summary>The boot time (the <c>btime</c> line of /proc/stat), seconds since the epoch.</summary>
    private static long? BootTime()
    {
        foreach (var line in File.ReadLines("/proc/stat"))
            if (line.StartsWith("btime ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var btime)) return btime;
        return null;
    }

    /// <summary>The soft limit of open files (the "Max open files" line of /proc/self/limits).</summary>
    private static double? MaxFds()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
                var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return soft == "unlimited" ? double.PositiveInfinity : double.Parse(soft, CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return null;
    }
}
