namespace S3Sync.Execution;

/// <summary>
/// What the <see cref="DeleteGuard"/> said about deletions: allowed, or refused because the folder is empty
/// (<see cref="EmptyRoot"/>) or because <see cref="InWindow"/> (these plus those made earlier in the window) is more
/// than <c>max_delete</c> allows of <see cref="Objects"/>.
/// </summary>
public readonly record struct DeleteVerdict(bool Allowed, bool EmptyRoot, long Deletions, long InWindow, long Objects);
