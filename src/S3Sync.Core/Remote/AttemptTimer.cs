namespace S3Sync.Remote;

/// <summary>
/// The deadline of one attempt of one request: its <see cref="Token"/> is cancelled when <see cref="RequestPolicy.Timeout"/>
/// passes without <see cref="Progress"/> (a byte of the request sent, a byte of the answer read), or at the attempt's
/// cap, or when the caller cancels. The attempt in flight is <see cref="Current"/> (an async local), so the HTTP
/// handler below the SDK (<see cref="DeadlineHandler"/>) can report progress and abort a body when the deadline passes.
/// </summary>
public sealed class AttemptTimer : IDisposable
{
    /// <summary>The attempt of the request this async flow is making, if any.</summary>
    public static readonly AsyncLocal<AttemptTimer?> Current = new();

    private readonly TimeSpan _idle;
    private readonly CancellationTokenSource _idleSource = new();
    private readonly CancellationTokenSource _capSource;
    private readonly CancellationTokenSource _linked;
    private int _disposed;

    public AttemptTimer(TimeSpan idle, TimeSpan cap, CancellationToken caller)
    {
        _idle = idle;
        _capSource = new CancellationTokenSource(cap);
        _idleSource.CancelAfter(idle);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(caller, _idleSource.Token, _capSource.Token);
        Token = _linked.Token;
    }

    public CancellationToken Token { get; }

    /// <summary>True when the deadline (not the caller) ended the attempt.</summary>
    public bool Expired => _idleSource.IsCancellationRequested || _capSource.IsCancellationRequested;

    /// <summary>Why the deadline passed, for the error message.</summary>
    public string Why => _capSource.IsCancellationRequested
        ? "the request took longer than its cap"
        : $"nothing moved for {_idle.TotalSeconds:0} s";

    /// <summary>Bytes moved: the idle deadline starts again.</summary>
    public void Progress()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        try { _idleSource.CancelAfter(_idle); }
        catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _linked.Dispose();
        _idleSource.Dispose();
        _capSource.Dispose();
    }
}
