namespace S3Sync.Remote;

/// <summary>
/// How many S3 requests may be in flight to one endpoint: a limit that finds its own level, as TCP's congestion window
/// does. At 100 ms a round trip a fixed window of 32 gives at most 320 requests a second whatever the server could
/// take, and a fixed window of 256 gets 503 SlowDown from a server that takes 16; neither is right everywhere.
/// <list type="bullet">
/// <item><b>Slow start</b>: until the first sign of congestion, each answer raises the limit by one, so it doubles
/// every round trip while the callers keep it full.</item>
/// <item><b>Additive increase</b>: after it, each answer raises it by 1/limit: one more a round trip.</item>
/// <item><b>Multiplicative decrease</b>: a throttled answer halves it (never below <see cref="Floor"/>), once per
/// window: answers to requests sent before the last decrease do not count again (they were sent at the old level).</item>
/// <item>The limit grows only while it binds (every slot was taken within the last window of answers), so a quiet
/// period does not inflate it; it never passes <see cref="Ceiling"/>.</item>
/// </list>
/// A fixed level (<c>upload_workers</c> or <c>--workers</c> set explicitly) starts at its ceiling: it backs off on
/// throttling all the same and climbs back to it. One instance serves every store of a process that talks to one
/// endpoint (watch's sites share it). Thread-safe; waiters are served in order.
/// </summary>
public sealed class AdaptiveConcurrency
{
    private readonly object _lock = new();
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private int _limit;
    private int _inFlight;
    private bool _congested;
    private bool _bound;
    private int _sinceFull;
    private int _answered;
    private long _epoch;
    private long _throttles;

    /// <param name="initial">The starting limit (clamped to the floor and the ceiling).</param>
    /// <param name="ceiling">The most requests ever in flight.</param>
    /// <param name="floor">The least the limit falls to.</param>
    public AdaptiveConcurrency(int initial, int ceiling, int floor = 2)
    {
        Ceiling = Math.Max(1, ceiling);
        Floor = Math.Clamp(floor, 1, Ceiling);
        _limit = Math.Clamp(initial, Floor, Ceiling);
    }

    /// <summary>A level set by the user: starts at <paramref name="level"/>, backs off on throttling, climbs back.</summary>
    public static AdaptiveConcurrency Fixed(int level) => new(level, level, Math.Min(2, level));

    public int Ceiling { get; }
    public int Floor { get; }

    /// <summary>The requests allowed in flight now.</summary>
    public int Limit { get { lock (_lock) return _limit; } }

    public int InFlight { get { lock (_lock) return _inFlight; } }

    /// <summary>Throttled answers that lowered the limit.</summary>
    public long Decreases { get { lock (_lock) return _epoch; } }

    /// <summary>Every throttled answer seen.</summary>
    public long Throttles => Interlocked.Read(ref _throttles);

    /// <summary>Waits for a slot; the lease gives it back with how the request ended.</summary>
    public async ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (_inFlight < _limit && _waiters.Count == 0)
            {
                if (++_inFlight == _limit) Full();
                return new Lease(this, _epoch);
            }
            Full();
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }
        try
        {
            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                // Granted meanwhile: give the slot back; else leave the dead waiter to be skipped.
                if (waiter.Task.IsCompletedSuccessfully) { _inFlight--; Grant(); }
                else waiter.TrySetCanceled(cancellationToken);
            }
            throw;
        }
        lock (_lock) return new Lease(this, _epoch);
    }

    private void Release(long epoch, RequestOutcome outcome)
    {
        lock (_lock)
        {
            _inFlight--;
            if (outcome == RequestOutcome.Throttled)
            {
                Interlocked.Increment(ref _throttles);
                if (epoch == _epoch)
                {
                    _epoch++;
                    _congested = true;
                    _limit = Math.Max(Floor, _limit / 2);
                    _answered = 0;
                }
            }
            else if (outcome == RequestOutcome.Answered && _bound)
            {
                // Slow start: one more per answer. After congestion: one more per window of answers.
                if (!_congested || ++_answered >= _limit)
                {
                    _limit = Math.Min(Ceiling, _limit + 1);
                    _answered = 0;
                }
            }
            if (++_sinceFull > _limit) _bound = false;
            Grant();
        }
    }

    /// <summary>Every slot is taken (or a caller waits): the limit binds for the next window of answers.</summary>
    private void Full()
    {
        _bound = true;
        _sinceFull = 0;
    }

    private void Grant()
    {
        while (_inFlight < _limit && _waiters.TryDequeue(out var next))
        {
            if (!next.TrySetResult()) continue; // cancelled while waiting
            if (++_inFlight == _limit) Full();
        }
    }

    /// <summary>One slot, held for one attempt of one request.</summary>
    public readonly struct Lease(AdaptiveConcurrency? owner, long epoch)
    {
        /// <summary>Gives the slot back (a default lease holds none).</summary>
        public void Release(RequestOutcome outcome) => owner?.Release(epoch, outcome);
    }
}
