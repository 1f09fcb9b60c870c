
namespace S3Sync.Execution;

/// <summary>How an action on one key ended: done; planned (a dry run); failed; held (a deletion a safety rule
/// refused, or that an incomplete walk or listing held back); skipped (the file vanished before it was read).</summary>
public enum ActionStatus { Done, Planned, Failed, Held, Skipped }
