namespace S3Sync.Reporting;

/// <summary>
/// One line of the JSON Lines reports of <c>verify</c>, <c>sync</c> and <c>restore</c> (field names in snake_case,
/// absent fields omitted; documented in docs/verify.md and docs/sync.md). <c>type</c> says what the line is:
/// "entry" (verify: one key's comparison), "action" (sync, restore: one key acted on, or planned in a dry run),
/// "error" (sync, restore: a path or a site that failed outside any action), "summary" (one site) and "total"
/// (the whole run, always last).
/// </summary>
public sealed record JsonReportLine
{
    public required string Type { get; init; }
    public string? Site { get; init; }
    /// <summary>The key relative to the site's bucket_path, as every log line names it.</summary>
    public string? Key { get; init; }
    /// <summary>action lines: upload, copy, move, delete, download, metadata.</summary>
    public string? Action { get; init; }
    /// <summary>action lines of a move or a copy from another key: the key (relative) whose object was copied.</summary>
    public string? From { get; init; }
    /// <summary>action lines: done, planned, failed, held, skipped; summary and total of sync: how the run ended.</summary>
    public string? Status { get; init; }
    public string? Kind { get; init; }
    public string? Symbol { get; init; }
    public string? Reason { get; init; }
    /// <summary>action lines: what a copy changed (the storage class, "metadata, mode 644").</summary>
    public string? Detail { get; init; }
    public string? Error { get; init; }
    public long? Size { get; init; }
    public long? LocalSize { get; init; }
    public long? RemoteSize { get; init; }
    public string? Etag { get; init; }
    public string? StorageClass { get; init; }
    public string? WantedStorageClass { get; init; }
    public bool? DryRun { get; init; }
    public RunTotals? Totals { get; init; }
    public long? Differences { get; init; }
    public double? Seconds { get; init; }
    /// <summary>summary of sync: symbolic links and special files (FIFOs, sockets, devices) the walk skipped, when any.</summary>
    public int? LinksSkipped { get; init; }
    public int? SpecialFilesSkipped { get; init; }
    public bool? Complete { get; init; }
    /// <summary>total of sync and restore: the exit code the run ends with.</summary>
    public int? ExitCode { get; init; }
}
