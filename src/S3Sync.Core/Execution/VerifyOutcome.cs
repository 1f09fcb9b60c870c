namespace S3Sync.Execution;

/// <summary>What a <c>verify</c> found; the command maps it to an exit code.</summary>
/// <param name="Complete">Every site was compared to its end, without an error.</param>
/// <param name="Credentials">A site could not be read for want of usable credentials.</param>
/// <param name="Differences">Differences found, in every site.</param>
public sealed record VerifyOutcome(bool Complete, bool Credentials, long Differences);
