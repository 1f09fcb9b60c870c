namespace S3Sync.Execution;

/// <summary>
/// The side a <see cref="DeletionStage"/> deletes from: the bucket (<see cref="SiteDeleter"/>, <c>sync</c> and
/// <c>watch</c>) or the restore's target folder (<see cref="LocalDeleter"/>, <c>restore --delete</c>). The stage asks
/// the guard, holds and reports; a deleter only deletes what it is given, after the guard allowed it.
/// </summary>
public interface IDeleter
{
    /// <summary>Deletes <paramref name="keys"/> (full keys, the site's prefix included, in batches); <paramref name="deleted"/>
    /// hears each key deleted (relative to the prefix), <paramref name="failed"/> each key that could not be, with why
    /// (after its error line). A key in <paramref name="silent"/> (relative) has no line of its own.</summary>
    Task<DeleteOutcome> DeleteAsync(IEnumerable<IReadOnlyList<string>> keys, CancellationToken cancellationToken, Action<string>? deleted = null, Action<string, string>? failed = null, IReadOnlySet<string>? silent = null);
}
