namespace S3Sync.Execution;

/// <summary>
/// A first-come, first-served budget of bytes: how much file data the uploader's workers may hold in buffers at once,
/// whatever <c>upload_workers</c> is. Many workers keep a slow server busy with small files; the budget keeps large
/// files' part buffers to a fixed total. A request larger than the whole budget waits until the budget is entirely free
/// and then takes all of it, so one huge part can always go.
/// </summary>
public sealed class ByteBudget
{
    private readonly object _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly long _capacity;
    private long _available;

    public ByteBudget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = _available = capacity;
    }

    public long Capacity => _capacity;

    /// <summary>Bytes not held right now.</summary>
    public long Available
    {
        get { lock (_lock) return _available; }
    }

    /// <summary>Waits for <paramref name="bytes"/> (at most the capacity) and holds them until the lease is disposed.</summary>
    public ValueTask<Lease> AcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        var take = Math.Clamp(bytes, 0, _capacity);
        Waiter waiter;
        lock (_lock)
        {
            if (_waiters.Count == 0 && _available >= take)
            {
                _available -= take;
                return ValueTask.FromResult(new Lease(this, take));
            }
            waiter = new Waiter(take);
            waiter.Node = _waiters.AddLast(waiter);
        }
        if (cancellationToken.CanBeCanceled)
            waiter.Registration = cancellationToken.Register(() => Cancel(waiter, cancellationToken));
        return new ValueTask<Lease>(waiter.Completion.Task);
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (waiter.Node?.List is null) return; // already granted
            _waiters.Remove(waiter.Node);
            waiter.Node = null;
            GrantWaiting(); // the head may have been the one that did not fit
        }
        waiter.Completion.TrySetCanceled(cancellationToken);
    }

    private void Release(long bytes)
    {
        lock (_lock)
        {
            _available += bytes;
            GrantWaiting();
        }
    }

    /// <summary>Grants waiters in order while the first one fits. Called under the lock.</summary>
    private void GrantWaiting()
    {
        while (_waiters.First is { } first && _available >= first.Value.Bytes)
        {
            var waiter = first.Value;
            _waiters.RemoveFirst();
            waiter.Node = null;
            _available -= waiter.Bytes;
            waiter.Registration.Unregister(); // not Dispose: that would wait for a Cancel blocked on this lock
            // Continuations run asynchronously (see Waiter), never inside this lock.
            waiter.Completion.TrySetResult(new Lease(this, waiter.Bytes));
        }
    }

    private sealed class Waiter(long bytes)
    {
        public long Bytes => bytes;
        public LinkedListNode<Waiter>? Node;
        public CancellationTokenRegistration Registration;
        public readonly TaskCompletionSource<Lease> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Bytes held from the budget; disposing gives them back (once).</summary>
    public sealed class Lease(ByteBudget budget, long bytes) : IDisposable
    {
        private int _released;

        public long Bytes => bytes;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) budget.Release(bytes);
        }
    }
}
