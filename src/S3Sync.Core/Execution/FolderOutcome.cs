using S3Sync.Planning;

namespace S3Sync.Execution;

/// <summary>One folder a restore made or fixed: its plan entry and, when it failed, why.</summary>
public sealed record FolderOutcome(PlanEntry Entry, string? Error);
