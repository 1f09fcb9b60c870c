
namespace S3Sync.Watching;

/// <summary>Set, from any thread, once a queued upload has been taken by a worker: a change after that is not in what
/// it reads, so it needs one more upload; a change before it needs none.</summary>
public sealed class UploadTicket
{
    private volatile bool _started;

    public bool Started => _started;

    public void Start() => _started = true;
}
