using S3Sync.Planning;

namespace S3Sync.Execution;

/// <summary>
/// One action of a sync or restore, as the executor reports it to whoever listens (the JSON report): the verb of its
/// <see cref="ActionLine"/>, the key relative to the site's prefix (as every log line names it), and how it
/// ended. Raised on worker threads.
/// </summary>
/// <param name="Reason">Why the plan chose the action, where the plan said (null for a deletion).</param>
/// <param name="Size">The bytes sent or written (the file's size when planned).</param>
/// <param name="Detail">What a copy changed (the storage class, "metadata, mode 644").</param>
/// <param name="Why">A failure's error, or why a deletion was held or an upload skipped.</param>
/// <param name="From">A move or a copy from another key of the site: that key (relative), whose object was copied
/// server-side instead of an upload.</param>
public sealed record ActionEvent(string Verb, string Key, ActionStatus Status, ChangeReason? Reason = null, long? Size = null, string? Detail = null, string? Why = null, string? From = null);
