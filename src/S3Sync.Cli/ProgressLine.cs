using System.Globalization;
using S3Sync.Execution;
using S3Sync.Planning;
using S3Sync.Reporting;

namespace S3Sync.Cli;

/// <summary>
/// One line on stderr, redrawn in place while a site syncs: files and bytes uploaded of those planned so far,
/// the rate and the time left. Only for a person at a terminal: when stderr is a file, a pipe or a container
/// log, nothing of it is written (<see cref="Wanted"/>), so logs stay clean.
/// </summary>
public sealed class ProgressLine : IDisposable
{
    private readonly TextWriter _error;
    private readonly string _site;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private long _plannedFiles, _plannedBytes, _doneFiles, _doneBytes;
    private bool _drawn;

    public ProgressLine(TextWriter error, string site, SiteSync sync, TimeProvider? time = null)
    {
        _error = error;
        _site = site;
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
        sync.Planned += entry =>
        {
            if (entry.Action != PlanAction.Upload) return;
            Interlocked.Increment(ref _plannedFiles);
            Interlocked.Add(ref _plannedBytes, entry.Local?.Size ?? 0);
        };
        sync.Uploaded += result =>
        {
            if (result.Entry.Action != PlanAction.Upload) return; // storage-class changes move no bytes
            Interlocked.Increment(ref _doneFiles);
            Interlocked.Add(ref _doneBytes, result.Entry.Local?.Size ?? result.Bytes);
        };
        _timer = _time.CreateTimer(_ => Draw(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
    }

    /// <summary>True when <paramref name="error"/> is this process's stderr and a terminal, and not <c>--quiet</c>.</summary>
    public static bool Wanted(TextWriter error, bool quiet) =>
        !quiet && ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected &&
        Environment.GetEnvironmentVariable("TERM") is not "dumb";

    private void Draw()
    {
        var text = Format(_site, Interlocked.Read(ref _doneFiles), Interlocked.Read(ref _plannedFiles),
            Interlocked.Read(ref _doneBytes), Interlocked.Read(ref _plannedBytes), _time.GetElapsedTime(_start));
        lock (_gate)
        {
            _error.Write("\r\u001b[K" + text);
            _error.Flush();
            _drawn = true;
        }
    }

    /// <summary>The line's text: <c>www: 12/340 files, 1.2 MiB/3.4 GiB, 45.6 MiB/s, ETA 1m15s</c>.</summary>
    public static string Format(string site, long doneFiles, long plannedFiles, long doneBytes, long plannedBytes, TimeSpan elapsed)
    {
        var rate = elapsed.TotalSeconds > 0.5 ? doneBytes / elapsed.TotalSeconds : 0;
        var left = plannedBytes - doneBytes;
        var eta = rate > 0 && left > 0 ? Sizes.Duration(TimeSpan.FromSeconds(left / rate)) : left <= 0 ? "0s" : "?";
        return string.Create(CultureInfo.InvariantCulture,
            $"{site}: {doneFiles}/{plannedFiles} files, {Sizes.Bytes(doneBytes)}/{Sizes.Bytes(plannedBytes)}, {Sizes.Bytes((long)rate)}/s, ETA {eta}");
    }

    /// <summary>Stops redrawing and erases the line, so the summary that follows starts clean.</summary>
    public void Dispose()
    {
        _timer.Dispose();
        lock (_gate)
        {
            if (_drawn) { _error.Write("\r\u001b[K"); _error.Flush(); }
            _drawn = false;
        }
    }
}
