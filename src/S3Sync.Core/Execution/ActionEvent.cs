using S3Sync.Planning;

namespace S3Sync.Execution;

/// <summary>How an action on one key ended: done; planned (a dry run); failed; held (a deletion a safety rule
/// refused, or that an incomplete walk or listing held back); skipped (the file vanished before it was read).</summary>
public enum ActionStatus { Done, Planned, Failed, Held, Skipped }

/// <summary>
/// One action of a sync or restore, as the executor reports it to whoever listens (the JSON report): the verb of its
/// <see cref="Reporting.ActionLine"/>, the key relative to the site's prefix (as every log line names it), and how it
/// ended. Raised on worker threads.
/// </summary>
/// <param name="Reason">Why the plan chose the action, where the plan said (null for a deletion).</param>
/// <param name="Size">The bytes sent or written (the file's size when planned).</param>
/// <param name="Detail">What a copy changed (the storage class, "metadata, mode 644").</param>
/// <param name="Why">A failure's error, or why a deletion was held or an upload skipped.</param>
/// <param name="From">A move or a copy from another key of the site: that key (relative), whose object was copied
/// server-side instead of an upload.</param>
public sealed record ActionEvent(string Verb, string Key, ActionStatus Status, ChangeReason? Reason = null, long? Size = null, string? Detail = null, string? Why = null, string? From = null);

/// <summary>A failure outside any action: a file that could not be read (<paramref name="Key"/>, or the path when
/// it is not below the site's folder), or the whole site (null: the listing failed, the folder is missing, a safety rule).</summary>
public sealed record SiteProblem(string? Key, string Message);

/// <summary>
/// What went wrong in one site's run, as sync and restore both keep it: the summary's lines (added from worker
/// threads, under a lock) and each failure outside an action raised to <c>found</c> as it is met.
/// </summary>
public sealed class SiteProblems(Action<SiteProblem> found)
{
    private readonly List<string> _lines = [];

    /// <summary>The summary's lines so far (the list itself: read it once the run is over).</summary>
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>A line for the summary only.</summary>
    public void Add(string message)
    {
        lock (_lines) _lines.Add(message);
    }

    /// <summary>A failure outside an action: its summary line (<paramref name="text"/> when it names more than the
    /// key: a walk error names the path), and raised.</summary>
    public void Failure(string? key, string message, string? text = null)
    {
        Add(text ?? (key is null ? message : $"{key}: {message}"));
        found(new SiteProblem(key, message));
    }
}
