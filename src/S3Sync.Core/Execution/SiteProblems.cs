
namespace S3Sync.Execution;

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
