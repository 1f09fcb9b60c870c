namespace S3Sync.Execution;

/// <summary>What a <c>restore</c> was asked to do (the report's form, text or JSON, is the command's).</summary>
/// <param name="To">The target folder (each site in a folder of its name when there are several,
/// <see cref="RestoreTargets"/>), or null to restore into each site's local_path.</param>
/// <param name="Settings">How each site is restored (workers, owner, max_delete, point in time, dry run).</param>
/// <param name="Rehash">Hash every file compared, ignoring the hash cache.</param>
/// <param name="FromBackup">A run folder under each site's <c>backup_path</c> (or <c>latest</c>): restore what that run saved.</param>
public sealed record RestoreRequest(string? To, RestoreSettings Settings, bool Rehash = false, string? FromBackup = null);
