using S3Sync.Watching;

namespace S3Sync.Tests.Support;

/// <summary>A change source whose events the test writes (no inotify): each <see cref="Emit"/> reaches the watcher's
/// sink as the kernel's would, with a path under the watched root.</summary>
public sealed class ScriptedSource(string root, TimeProvider time) : IChangeSource
{
    private Action<ChangeEvent>? _sink;

    public void Start(Action<ChangeEvent> sink) => _sink = sink;

    /// <summary>One event for <paramref name="key"/> (relative to the root; "" is the root itself).</summary>
    public void Emit(ChangeKind kind, string key, string? detail = null) =>
        (_sink ?? throw new InvalidOperationException("not started"))(new ChangeEvent(kind, key.Length == 0 ? root : Path.Combine(root, key), time.GetTimestamp(), detail));

    public void Rewatch() { }
    public bool Healthy => true;
    public int WatchCount => 1;
    public void Dispose() { }
}
