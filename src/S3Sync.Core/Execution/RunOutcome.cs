namespace S3Sync.Execution;

/// <summary>
/// What a <see cref="SyncRun"/> or a <see cref="RestoreRun"/> did: each site's result, in the order they ran, and the
/// worst status among them. What a status means to a shell (an exit code) is the command's to say, not the core's.
/// </summary>
public sealed record RunOutcome(IReadOnlyList<SiteResult> Sites, TimeSpan Elapsed)
{
    /// <summary>The worst site status (<see cref="SiteStatus.Done"/> when every site is done, or there are none).</summary>
    public SiteStatus Worst => Sites.Count == 0 ? SiteStatus.Done : Sites.Max(s => s.Status);
}
