using S3Sync.Config;
using S3Sync.Planning;
using S3Sync.Remote;

namespace S3Sync.Execution;

/// <summary>
/// The jobs one consumer queues on the shared <see cref="Uploader"/>: one site, its store, the digest source its
/// uploads read and record through, and the token that cancels them. <c>watch</c> has one for a site's events and one
/// per full sync, all on the process's one pool; <see cref="DrainAsync"/> waits for this batch's jobs alone.
/// </summary>
public sealed class UploadBatch
{
    private readonly Uploader _pool;
    private readonly object _lock = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pending, _queued;
    private bool _sealed;

    internal UploadBatch(Uploader pool, Site site, IObjectStore store, IDigestSource digests, CancellationToken token)
    {
        _pool = pool;
        Site = site;
        Store = store;
        Digests = digests;
        Token = token;
    }

    public Site Site { get; }
    public IObjectStore Store { get; }
    public IDigestSource Digests { get; }
    public CancellationToken Token { get; }

    /// <summary>Log each upload and copy as its <see cref="ActionLine"/>.</summary>
    public bool LogsActions { get; set; } = true;

    /// <summary>Saves the object an upload is about to overwrite (<see cref="BackupPlace.SaveAsync"/>): null when it is
    /// saved, else why not, and the upload is not made. Null: nothing is saved.</summary>
    public Func<string, CancellationToken, Task<string?>>? BeforeOverwrite { get; set; }

    /// <summary>The jobs' <see cref="PlanEntry.Remote"/> says nothing (watch's events: no listing was read), so
    /// <see cref="BeforeOverwrite"/> is asked for every upload, not only those of a key the listing held.</summary>
    public bool RemoteUnknown { get; set; }

    /// <summary>Raised on a worker thread as a job is taken from the queue, before the file is read.</summary>
    public event Action<PlanEntry>? Starting;

    /// <summary>Raised on a worker thread as each job ends.</summary>
    public event Action<UploadResult>? Completed;

    /// <summary>Jobs of this batch queued and not yet taken by a worker.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Jobs of this batch queued or running.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Queues a job on the shared pool; waits while its queue is full.</summary>
    public async ValueTask EnqueueAsync(PlanEntry entry, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_sealed) throw new InvalidOperationException("the batch is drained: it takes no more jobs");
            _pending++;
        }
        Interlocked.Increment(ref _queued);
        try
        {
            await _pool.WriteAsync(entry, this, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _queued);
            Ended();
            throw;
        }
    }

    /// <summary>Takes no more jobs and completes once every job queued so far has ended.</summary>
    public Task DrainAsync()
    {
        lock (_lock)
        {
            _sealed = true;
            if (_pending == 0) _drained.TrySetResult();
        }
        return _drained.Task;
    }

    internal void OnStarting(PlanEntry entry)
    {
        Interlocked.Decrement(ref _queued);
        Starting?.Invoke(entry);
    }

    internal void OnCompleted(UploadResult result)
    {
        try { Completed?.Invoke(result); }
        finally { Ended(); }
    }

    private void Ended()
    {
        lock (_lock)
        {
            if (--_pending == 0 && _sealed) _drained.TrySetResult();
        }
    }
}
