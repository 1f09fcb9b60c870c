using S3Sync.Config;

namespace S3Sync.Execution;

/// <summary>
/// The one rule every deletion passes, in both directions: sync deleting objects whose file is gone, restore
/// (<c>--delete</c>) deleting files whose object is gone. A run deletes nothing when the side it mirrors from is empty
/// while the other is not (an unmounted disk for sync; a wrong bucket or prefix for restore), or when it would delete
/// more than <c>max_delete</c> allows of what the other side holds.
/// </summary>
public static class DeleteGuard
{
    /// <summary>Null when the deletions may go ahead, else the one-line reason they may not.</summary>
    /// <param name="sourceCount">Entries on the side mirrored from (local files for sync, objects for restore).</param>
    /// <param name="targetCount">Entries on the side deleted from.</param>
    public static string? Refusal(long deletions, long sourceCount, long targetCount, DeleteLimit limit, string source, string target, string what)
    {
        if (deletions == 0) return null;
        if (sourceCount == 0)
            return $"{source} is empty while {target} holds {targetCount} {what}; refusing to delete them (is the disk mounted? is the bucket or prefix right?)";
        if (!limit.Allows(deletions, targetCount))
            return $"would delete {deletions} of {targetCount} {what} under {target}, more than max_delete {limit}; nothing was deleted. If that is intended, run again with --max-delete {deletions} (or set max_delete)";
        return null;
    }
}
