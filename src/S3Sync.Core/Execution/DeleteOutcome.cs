using Microsoft.Extensions.Logging;

namespace S3Sync.Execution;

/// <summary>What a <see cref="SiteDeleter"/> run did: how many objects it deleted, and the keys (relative to the site's
/// prefix) it could not delete, with why.</summary>
public sealed record DeleteOutcome(long Deleted, IReadOnlyList<(string Key, string Error)> Failed);
