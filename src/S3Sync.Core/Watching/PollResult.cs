namespace S3Sync.Watching;

/// <summary>One walk of a <see cref="PollingSource"/>: the files seen, how many were new or changed and removed, and its cost.</summary>
public readonly record struct PollResult(int Files, int Changed, int Removed, bool Complete, TimeSpan Elapsed);
