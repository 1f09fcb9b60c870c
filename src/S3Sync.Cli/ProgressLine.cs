using System.Globalization;
using S3Sync.Execution;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Reporting;

namespace S3Sync.Cli;

/// <summary>
/// One line on stderr, redrawn in place while a site syncs: files and bytes uploaded of those planned so far,
/// the rate, and the time left once the walk has ended (before, the totals are only "found so far", and a time left
/// computed from them would be a guess). Log lines are written above it (<see cref="StatusTerminal"/>), never glued
/// to it. Only for a person at a terminal: when stderr is a file, a pipe or a container
/// log, nothing of it is written (<see cref="Wanted"/>), so logs stay clean, unless asked for: <c>--progress</c> or
/// <c>--stats</c> write the same text as whole lines at an interval (<see cref="Lines"/>).
/// </summary>
public sealed class ProgressLine : IDisposable
{
    private readonly StatusTerminal? _terminal;
    private readonly Action<string>? _writeLine;
    private readonly string _site;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private readonly Func<long>? _sentBytes;
    private long _plannedFiles, _plannedBytes, _doneFiles, _doneBytes;
    private bool _disposed;
    private volatile bool _walking = true;

    /// <summary>Wraps a site's store so the bytes of every PUT and part count as they are sent, not only when a
    /// whole file is done (a large file would otherwise stand at 0 bytes until its last part).</summary>
    /// <remarks>The count is read back by <see cref="SentBy"/>.</remarks>
    public static IObjectStore Counting(IObjectStore store) => new CountingStore(store);

    /// <summary>The bytes sent so far through a store made by <see cref="Counting(IObjectStore)"/>; null for any other.</summary>
    public static Func<long>? SentBy(IObjectStore store) => store is CountingStore counting ? () => Interlocked.Read(ref counting.Sent) : null;

    /// <summary>The progress of one site's sync: the live line on <paramref name="terminal"/>, whole lines every
    /// <paramref name="lines"/> period (through the terminal when there is one), either, both or none (null).</summary>
    public static IDisposable? For(StatusTerminal? terminal, ProgressLines? lines, string site, SiteSync sync, Func<long>? sentBytes)
    {
        var live = terminal is null ? null : new ProgressLine(terminal, site, sync, sentBytes);
        var whole = lines is null ? null : Lines(terminal is null ? lines.Write : terminal.WriteLine, lines.Every, site, sync, sentBytes);
        return live is null ? whole : whole is null ? live : new Both(live, whole);
    }

    private sealed class Both(ProgressLine first, ProgressLine second) : IDisposable
    {
        public void Dispose()
        {
            // In the order the two usings of one site ended: the whole lines first, then the live line.
            second.Dispose();
            first.Dispose();
        }
    }

    public ProgressLine(TextWriter error, string site, SiteSync sync, Func<long>? sentBytes = null, TimeProvider? time = null)
        : this(new StatusTerminal(error), site, sync, sentBytes, time)
    {
    }

    public ProgressLine(StatusTerminal terminal, string site, SiteSync sync, Func<long>? sentBytes = null, TimeProvider? time = null)
        : this(terminal, null, TimeSpan.FromMilliseconds(250), site, sync, sentBytes, time)
    {
    }

    /// <summary>The same text as whole lines, one every <paramref name="every"/> (<c>--progress</c> off a terminal,
    /// <c>--stats</c>): for logs and pipes, where a line redrawn in place would be noise.</summary>
    public static ProgressLine Lines(Action<string> writeLine, TimeSpan every, string site, SiteSync sync, Func<long>? sentBytes = null, TimeProvider? time = null) =>
        new(null, writeLine, every, site, sync, sentBytes, time);

    private ProgressLine(StatusTerminal? terminal, Action<string>? writeLine, TimeSpan every, string site, SiteSync sync, Func<long>? sentBytes, TimeProvider? time)
    {
        _sentBytes = sentBytes;
        _terminal = terminal;
        _writeLine = writeLine;
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
        sync.PlanComplete += () => _walking = false;
        _timer = _time.CreateTimer(_ => Draw(), null, every, every);
    }

    /// <summary>True when <paramref name="error"/> is this process's stderr and a terminal, and not <c>--quiet</c>.</summary>
    public static bool Wanted(TextWriter error, bool quiet) =>
        !quiet && IsTerminal(error);

    /// <summary>True when <paramref name="error"/> is this process's stderr and a terminal that draws.</summary>
    public static bool IsTerminal(TextWriter error) =>
        ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not "dumb";

    private void Draw() => Draw(final: false);

    private void Draw(bool final)
    {
        var planned = Interlocked.Read(ref _plannedBytes);
        // Bytes sent so far (parts included), never more than planned: a file changed while it was being sent goes up again.
        var done = Math.Min(planned, Math.Max(Interlocked.Read(ref _doneBytes), _sentBytes?.Invoke() ?? 0));
        var text = Format(_site, Interlocked.Read(ref _doneFiles), Interlocked.Read(ref _plannedFiles), done, planned, _time.GetElapsedTime(_start), _walking);
        lock (_gate)
        {
            if (_disposed && !final) return; // a tick that raced Dispose must not redraw over the summary
            if (_terminal is not null) _terminal.SetStatus(text);
            else _writeLine!(text);
        }
    }

    /// <summary>The line's text: <c>www: 12/340 files, 1.2 MiB/3.4 GiB, 45.6 MiB/s, ETA 1m15s</c>; while the walk
    /// runs, <c>www: 12/340 files found so far, 1.2 MiB/3.4 GiB, 45.6 MiB/s</c>.</summary>
    public static string Format(string site, long doneFiles, long plannedFiles, long doneBytes, long plannedBytes, TimeSpan elapsed, bool walking = false)
    {
        if (walking)
        {
            var soFar = elapsed.TotalSeconds > 0.5 ? doneBytes / elapsed.TotalSeconds : 0;
            return string.Create(CultureInfo.InvariantCulture,
                $"{site}: {doneFiles}/{plannedFiles} files found so far, {Sizes.Bytes(doneBytes)}/{Sizes.Bytes(plannedBytes)}, {Sizes.Bytes((long)soFar)}/s");
        }
        var rate = elapsed.TotalSeconds > 0.5 ? doneBytes / elapsed.TotalSeconds : 0;
        var left = plannedBytes - doneBytes;
        var eta = plannedFiles == 0 ? "?" : left <= 0 ? "0s" : rate > 0 && left / rate < 100 * 3600 ? Sizes.Duration(TimeSpan.FromSeconds(left / rate)) : "?";
        return string.Create(CultureInfo.InvariantCulture,
            $"{site}: {doneFiles}/{plannedFiles} files, {Sizes.Bytes(doneBytes)}/{Sizes.Bytes(plannedBytes)}, {Sizes.Bytes((long)rate)}/s, ETA {eta}");
    }

    /// <summary>Stops redrawing and erases the line, so the summary that follows starts clean. In the lines form, the
    /// site's final figures are written as a last line (a site shorter than the period still gets one).</summary>
    public void Dispose()
    {
        _timer.Dispose();
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _terminal?.ClearStatus();
        }
        if (_writeLine is not null) Draw(final: true);
    }

    /// <summary>Forwards everything; adds the size of each body the server accepted.</summary>
    private sealed class CountingStore(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        public long Sent;

        public override async Task PutAsync(string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken)
        {
            await Inner.PutAsync(key, body, md5, headers, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref Sent, body.Length);
        }

        public override async Task<string> UploadPartAsync(string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken)
        {
            var etag = await base.UploadPartAsync(key, uploadId, partNumber, body, md5, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref Sent, body.Length);
            return etag;
        }
    }
}
