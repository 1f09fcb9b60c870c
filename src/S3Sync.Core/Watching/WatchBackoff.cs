namespace S3Sync.Watching;

/// <summary>
/// When a site's watch that cannot be installed is tried again, and when that is worth a log line: a synchronous state
/// machine on a <see cref="TimeProvider"/> (the model is <see cref="KeySchedule"/>), tested by table on a fake clock.
/// What fails: inotify itself (<c>inotify_init1</c>: EMFILE, <c>fs.inotify.max_user_instances</c>), the watch limit
/// (<c>inotify_add_watch</c>: ENOSPC, <c>fs.inotify.max_user_watches</c>), a local_path that is missing, deleted, moved
/// or replaced. The rules:
/// <list type="bullet">
/// <item>the first failure is tried again after <see cref="First"/> (1 s, the upload retry's first delay), each further
/// one after twice the wait before, up to <see cref="Cap"/> (5 min, the upload retry's cap): a limit that stays reached
/// costs a full sync every 5 minutes at most, never one after another;</item>
/// <item>one failure per try: what fails again before the next try (the same limit reported by a rescan) changes
/// nothing;</item>
/// <item><see cref="Failed"/> and <see cref="Succeeded"/> say true only on a change of state (working to failing,
/// another reason, failing to working): the shell logs those, never each try.</item>
/// </list>
/// Not thread-safe: the site's loop owns it.
/// </summary>
public sealed class WatchBackoff(TimeProvider time, TimeSpan? first = null, TimeSpan? cap = null)
{
    /// <summary>The wait before the first try again.</summary>
    public TimeSpan First { get; } = first ?? TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two tries.</summary>
    public TimeSpan Cap { get; } = cap ?? TimeSpan.FromMinutes(5);

    private string? _why;
    private int _failures;
    private long _next = long.MaxValue;
    private bool _trying;

    /// <summary>True from a failure until a try succeeds.</summary>
    public bool Failing => _why is not null;

    /// <summary>What failed last (null while working).</summary>
    public string? Why => _why;

    /// <summary>Tries that failed in a row (the first failure counts).</summary>
    public int Failures => _failures;

    /// <summary>True between <see cref="TryStart"/> and the try's outcome.</summary>
    public bool Trying => _trying;

    /// <summary>When the next try is due (a <see cref="TimeProvider"/> timestamp); <see cref="long.MaxValue"/>: none.</summary>
    public long NextDeadline => Failing && !_trying ? _next : long.MaxValue;

    /// <summary>The wait after <paramref name="failures"/> failures: First, doubled each time, at most Cap.</summary>
    public TimeSpan Delay(int failures) =>
        TimeSpan.FromTicks((long)Math.Min(Cap.Ticks, First.Ticks * Math.Pow(2, Math.Min(Math.Max(failures, 1) - 1, 30))));

    /// <summary>The wait now before the next try (for the log line).</summary>
    public TimeSpan RetryIn => Failing ? time.GetElapsedTime(time.GetTimestamp(), _next) : TimeSpan.Zero;

    /// <summary>Something failed. Counted once per try: a failure while no try runs (after the first) changes only the
    /// reason. True when it is a change of state to log: the first failure, or another reason than before.</summary>
    public bool Failed(string why)
    {
        var now = time.GetTimestamp();
        if (_why is null)
        {
            _why = why;
            _failures = 1;
            _trying = false;
            _next = now + Ticks(Delay(1));
            return true;
        }
        var changed = why != _why;
        _why = why;
        if (!_trying) return changed;
        _trying = false;
        _failures++;
        _next = now + Ticks(Delay(_failures));
        return changed;
    }

    /// <summary>True (and a try is running from now) when a try is due.</summary>
    public bool TryStart()
    {
        if (!Failing || _trying || time.GetTimestamp() < _next) return false;
        _trying = true;
        return true;
    }

    /// <summary>It works (again). True when it had failed: the recovery is worth a line.</summary>
    public bool Succeeded()
    {
        if (_why is null) return false;
        _why = null;
        _failures = 0;
        _trying = false;
        _next = long.MaxValue;
        return true;
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);
}
