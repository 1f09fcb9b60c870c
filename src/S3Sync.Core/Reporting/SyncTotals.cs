using S3Sync.Execution;

namespace S3Sync.Reporting;

/// <summary>
/// What a sync or restore did to one site (or the whole run), for its JSON summary. Sync fills the upload fields,
/// restore the download fields; the others are shared. In a dry run they count what would be done.
/// </summary>
public sealed class SyncTotals : RunTotals
{
    public long? Uploaded { get; set; }
    public long? UploadedBytes { get; set; }
    /// <summary>Server-side copies onto the object itself (storage class, metadata, headers).</summary>
    public long? Copied { get; set; }
    public long? Downloaded { get; set; }
    public long? DownloadedBytes { get; set; }
    /// <summary>Restore: files whose mode, owner or mtime was set from the object.</summary>
    public long? MetadataSet { get; set; }
    public long Deleted { get; set; }
    /// <summary>Deletions a safety rule refused or an incomplete walk or listing held back.</summary>
    public long Held { get; set; }
    public long Unchanged { get; set; }
    public long Kept { get; set; }
    public long Skipped { get; set; }
    public long Failed { get; set; }

    public static SyncTotals From(SiteStats stats, long held, bool download) => new()
    {
        Uploaded = download ? null : stats.Uploaded,
        UploadedBytes = download ? null : stats.UploadedBytes,
        Copied = download ? null : stats.ChangedInPlace,
        Downloaded = download ? stats.Downloaded : null,
        DownloadedBytes = download ? stats.DownloadedBytes : null,
        MetadataSet = download ? stats.ChangedInPlace : null,
        Deleted = stats.Deleted,
        Held = held,
        Unchanged = stats.Unchanged,
        Kept = stats.Kept,
        Skipped = stats.Skipped,
        Failed = stats.Failed,
    };

    public void Add(SyncTotals o)
    {
        Uploaded = Sum(Uploaded, o.Uploaded); UploadedBytes = Sum(UploadedBytes, o.UploadedBytes); Copied = Sum(Copied, o.Copied);
        Downloaded = Sum(Downloaded, o.Downloaded); DownloadedBytes = Sum(DownloadedBytes, o.DownloadedBytes); MetadataSet = Sum(MetadataSet, o.MetadataSet);
        Deleted += o.Deleted; Held += o.Held; Unchanged += o.Unchanged; Kept += o.Kept; Skipped += o.Skipped; Failed += o.Failed;
    }

    private static long? Sum(long? a, long? b) => a is null && b is null ? null : (a ?? 0) + (b ?? 0);
}
