using System.Runtime.InteropServices;

namespace S3Sync.Cli;

/// <summary>
/// SIGINT and SIGTERM for the one-shot commands (sync, verify, config): the first signal cancels the run's token;
/// if the run has not ended <see cref="Grace"/> later, or a second signal comes, the process ends with 130 at once.
/// </summary>
/// <remarks>
/// Why not System.CommandLine's own handler: it cancels on the signal thread, which runs every cancellation callback
/// (and continuations they complete inline) there, and only then starts its timeout, so one callback that blocks
/// meant a process that never ended (seen once in CI: no exit 30 s after SIGINT). Here the cancel runs on the thread
/// pool and the deadline is kept by a timer of its own, so an interrupted run ends in bounded time whatever blocks.
/// </remarks>
public sealed class Interruption : IDisposable
{
    /// <summary>How long a cancelled run may take to wind down before the process is ended.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _cts;
    private readonly TextWriter _error;
    private readonly PosixSignalRegistration _sigInt, _sigTerm;
    private Timer? _deadline;
    private int _signals;

    public Interruption(CancellationToken outer, TextWriter error)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _error = error;
        _sigInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by the first signal (or by the outer token).</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>True once a signal has been received.</summary>
    public bool Signalled => Volatile.Read(ref _signals) > 0;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Interlocked.Increment(ref _signals) > 1) ForceExit();
        _deadline = new Timer(_ => ForceExit(), null, Grace, Timeout.InfiniteTimeSpan);
        ThreadPool.UnsafeQueueUserWorkItem(static cts => { try { cts.Cancel(); } catch (ObjectDisposedException) { } }, _cts, preferLocal: false);
    }

    private void ForceExit()
    {
        try
        {
            _error.WriteLine("s3sync: interrupted");
            _error.Flush();
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
        // _exit: no ProcessExit handlers, no finalizers: whatever blocked the run cannot block the exit too.
        Exit(ExitCodes.Interrupted);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void Exit(int status);

    public void Dispose()
    {
        _sigInt.Dispose();
        _sigTerm.Dispose();
        _deadline?.Dispose();
        _cts.Dispose();
    }
}
