
namespace S3Sync.Execution;

/// <summary>What a file the run would have uploaded became: a server-side copy of <paramref name="From"/> (relative),
/// <see cref="ActionLine.Move"/> when that key is deleted by the run, <see cref="ActionLine.Copy"/> when it stays.</summary>
public sealed record MoveResult(string Verb, string From);
