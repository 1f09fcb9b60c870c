namespace S3Sync.Watching;

/// <summary>One change, with the time it was read (<see cref="TimeProvider.GetTimestamp"/>) for the change-to-upload delay.</summary>
public readonly record struct ChangeEvent(ChangeKind Kind, string Path, long Timestamp, string? Detail = null);
