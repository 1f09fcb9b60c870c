namespace S3Sync.Execution;

/// <summary>
/// What a <see cref="DeletionStage"/> did with one set of deletions, counted the same way for every caller:
/// <see cref="Deleted"/> made (or planned, in a dry run), <see cref="Failed"/> tried and refused by the store,
/// <see cref="Held"/> not made because of <see cref="Refusal"/>. Each key was also reported as an
/// <see cref="ActionEvent"/> (done, planned, failed or held).
/// </summary>
/// <param name="Verdict">What the guard said (default when it was not asked: nothing to delete, or incomplete).</param>
/// <param name="Unsaved">backup_path: keys not deleted because their backup copy could not be made and proved (kept), with why.</param>
public sealed record DeletionOutcome(DeletionRefusal Refusal, long Deleted, IReadOnlyList<(string Key, string Error)> Failed, long Held, DeleteVerdict Verdict,
    IReadOnlyList<(string Key, string Error)>? Unsaved = null)
{
    public static readonly DeletionOutcome Nothing = new(DeletionRefusal.None, 0, [], 0, default);
}
