using Microsoft.Extensions.Logging;
using S3Sync.Local;

namespace S3Sync.Execution;

/// <summary>
/// Deletes files of a restore's target folder (<c>restore --delete</c>), behind the <see cref="DeleteGuard"/> its
/// <see cref="DeletionStage"/> asked first: each through the handle of its folder, opened from the target's root without
/// following a link (<see cref="TargetFolder.OpenFolder"/>), never by its path. A file already gone counts as nothing;
/// one that cannot be removed is that key's failure, not the run's.
/// </summary>
/// <param name="target">The target folder; null in a dry run, which never deletes.</param>
public sealed class LocalDeleter(TargetFolder? target, ILogger logger, bool logsActions = true) : IDeleter
{
    public Task<DeleteOutcome> DeleteAsync(IEnumerable<IReadOnlyList<string>> keys, CancellationToken cancellationToken, Action<string>? deleted = null, Action<string, string>? failed = null, IReadOnlySet<string>? silent = null)
    {
        if (target is null) throw new InvalidOperationException("a dry run deletes nothing");
        long count = 0;
        var failures = new List<(string, string)>();
        foreach (var batch in keys)
        {
            foreach (var key in batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var segments = key.Split('/');
                try
                {
                    using var folder = target.OpenFolder(segments.AsSpan(0, segments.Length - 1));
                    if (TargetFolder.Remove(folder, segments[^1])) count++;
                }
                catch (IOException e)
                {
                    logger.LogError("{Key}: delete failed: {Error}", key, e.Message);
                    failures.Add((key, e.Message));
                    failed?.Invoke(key, e.Message);
                    continue;
                }
                if (silent?.Contains(key) == true) continue;
                deleted?.Invoke(key);
                if (logsActions) ActionLine.Log(logger, ActionLine.Delete, key);
            }
        }
        return Task.FromResult(new DeleteOutcome(count, failures));
    }
}
