namespace S3Sync.Local;

/// <summary>Something the walk met and could not use, reported per path.</summary>
public sealed record WalkIssue(string Path, string Message, bool IsError)
{
    /// <summary>A symbolic link skipped or refused: summed up in one warning per run (<see cref="Execution.LinkSummary"/>).</summary>
    public bool IsLink { get; init; }

    /// <summary>A FIFO, socket or device skipped: summed up in one warning per run (<see cref="Execution.SpecialFileSummary"/>).</summary>
    public bool IsSpecial { get; init; }
}
