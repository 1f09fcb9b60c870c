using S3Sync.Config;

namespace S3Sync.Execution;

/// <summary>
/// The one delete guard of <c>sync</c> and <c>watch</c> (its event deletes and its full syncs' deletes). Two rules:
/// <list type="bullet">
/// <item>an empty <c>local_path</c> deletes nothing (an unmounted disk is not a deleted tree);</item>
/// <item><c>max_delete</c> bounds the deletions made in any <see cref="Window"/> (60 s): the deletions asked for now
/// plus those allowed in the window before them, counted against the objects under the prefix that the site's filters
/// select, as the last complete listing counted them (between two listings the base stays).</item>
/// </list>
/// A <c>sync</c> run makes one guard, so its window holds only its own deletions: the rule is the one it always had.
/// A <c>watch</c> keeps one guard per site for as long as the site runs, so a burst of removals (an <c>rm -rf</c>) is
/// bounded as a whole however its events are batched. Thread-safe.
/// </summary>
public sealed class DeleteGuard(DeleteLimit limit, TimeProvider? time = null, TimeSpan? window = null)
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(60);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Queue<(long At, long Count)> _recent = new();
    private readonly object _lock = new();
    private long _objects;

    public DeleteLimit Limit => limit;

    public TimeSpan Window { get; } = window ?? DefaultWindow;

    /// <summary>The objects under the prefix the guard counts against (0 until a listing told it).</summary>
    public long Objects { get { lock (_lock) return _objects; } }

    /// <summary>Deletions allowed within the window that ends now.</summary>
    public long InWindow { get { lock (_lock) { Expire(); return _recent.Sum(r => r.Count); } } }

    /// <summary>A complete listing counted <paramref name="objects"/> managed objects: the base from now on.</summary>
    public void Observe(long objects)
    {
        lock (_lock) _objects = objects;
    }

    /// <summary>A full sync's deletions, after a complete walk and listing: <paramref name="objects"/> (the listing's
    /// count) becomes the base. An allowed verdict counts the deletions in the window.</summary>
    public DeleteVerdict Check(long deletions, long objects, long localFiles)
    {
        lock (_lock)
        {
            _objects = objects;
            if (deletions > 0 && localFiles == 0) return new DeleteVerdict(false, true, deletions, deletions, objects);
            return Decide(deletions);
        }
    }

    /// <summary>Deletions between full syncs (watch events), against the last listing's count.</summary>
    /// <param name="rootEmpty">The watched folder holds nothing now (unmounted, or its content moved away).</param>
    public DeleteVerdict CheckEvents(long deletions, bool rootEmpty)
    {
        lock (_lock)
        {
            if (deletions > 0 && rootEmpty) return new DeleteVerdict(false, true, deletions, deletions, _objects);
            return Decide(deletions);
        }
    }

    private DeleteVerdict Decide(long deletions)
    {
        Expire();
        var inWindow = _recent.Sum(r => r.Count) + deletions;
        if (deletions == 0) return new DeleteVerdict(true, false, 0, inWindow, _objects);
        if (!limit.Allows(inWindow, _objects)) return new DeleteVerdict(false, false, deletions, inWindow, _objects);
        _recent.Enqueue((_time.GetTimestamp(), deletions));
        return new DeleteVerdict(true, false, deletions, inWindow, _objects);
    }

    private void Expire()
    {
        var now = _time.GetTimestamp();
        while (_recent.TryPeek(out var r) && _time.GetElapsedTime(r.At, now) >= Window) _recent.Dequeue();
    }
}
