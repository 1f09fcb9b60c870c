namespace S3Sync.Execution;

/// <summary>What a <c>verify</c> was asked to compare (the report's form, text or JSON, is the report's).</summary>
/// <param name="Deep">HEAD objects whose ETag cannot be reproduced, and compare every object's stored settings.</param>
/// <param name="Download">Read every matching object back and compare its bytes (the restore drill).</param>
/// <param name="Rehash">Hash every file compared, ignoring the hash cache.</param>
/// <param name="At">Point in time: compare with the versions current then (a versioned bucket).</param>
/// <param name="To">The restore drill's folder (the sites' local_path already moved there, <see cref="RestoreTargets.Moved"/>):
/// its hash cache rows are its own.</param>
public sealed record VerifyRequest(bool Deep = false, bool Download = false, bool Rehash = false, DateTime? At = null, string? To = null);
