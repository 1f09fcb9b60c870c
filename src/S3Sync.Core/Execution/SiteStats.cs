namespace S3Sync.Execution;

/// <summary>Counters of one site's run, safe to bump from every worker. A sync counts uploads, a restore downloads;
/// <see cref="ChangedInPlace"/> is a copy onto the object (sync) or metadata set on the file (restore).</summary>
public sealed class SiteStats
{
    private long _uploaded, _uploadedBytes, _downloaded, _downloadedBytes, _changedInPlace, _deleted, _unchanged, _failed, _skipped, _kept;

    public long Uploaded => Interlocked.Read(ref _uploaded);
    public long UploadedBytes => Interlocked.Read(ref _uploadedBytes);
    public long Downloaded => Interlocked.Read(ref _downloaded);
    public long DownloadedBytes => Interlocked.Read(ref _downloadedBytes);
    public long ChangedInPlace => Interlocked.Read(ref _changedInPlace);
    public long Deleted => Interlocked.Read(ref _deleted);
    public long Unchanged => Interlocked.Read(ref _unchanged);
    public long Failed => Interlocked.Read(ref _failed);
    public long Skipped => Interlocked.Read(ref _skipped);
    public long Kept => Interlocked.Read(ref _kept);

    public void AddUploaded(long bytes) { Interlocked.Increment(ref _uploaded); Interlocked.Add(ref _uploadedBytes, bytes); }
    public void AddDownloaded(long bytes) { Interlocked.Increment(ref _downloaded); Interlocked.Add(ref _downloadedBytes, bytes); }
    public void AddChangedInPlace() => Interlocked.Increment(ref _changedInPlace);
    public void AddDeleted(long count) => Interlocked.Add(ref _deleted, count);
    public void AddUnchanged() => Interlocked.Increment(ref _unchanged);
    public void AddFailed() => Interlocked.Increment(ref _failed);
    public void AddSkipped() => Interlocked.Increment(ref _skipped);
    public void AddKept() => Interlocked.Increment(ref _kept);
}
