using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Remote;

namespace S3Sync.Execution;

/// <summary>
/// The one executor of a site's deletions in S3, behind the <see cref="DeleteGuard"/> its caller asked first:
/// <c>sync</c>'s runs and <c>watch</c>'s events and full syncs all delete through it. Keys go in
/// batches; a request that fails is the failure of its keys, not of the run (the next batch is still tried); each key
/// deleted is one <see cref="ActionLine"/>, each failure one error line.
/// </summary>
/// <param name="nameSite">Name the site in each line (watch, where sites interleave).</param>
/// <param name="logsActions">Log each deletion's action line (not with <c>--json</c>, whose writer reports them).</param>
public sealed class SiteDeleter(Site site, IObjectStore store, ILogger logger, bool nameSite = false, bool logsActions = true) : IDeleter
{
    /// <summary>Deletes <paramref name="keys"/> (full S3 keys, in batches of at most 1,000); <paramref name="deleted"/>
    /// hears each key deleted (relative), so a million deletions need not be held in memory; <paramref name="failed"/>
    /// each key that could not be deleted, with why (after its error line). A key in <paramref name="silent"/> (relative:
    /// a moved object's old key, whose deletion is the second half of its <c>move:</c> line) has no line of its own.</summary>
    public async Task<DeleteOutcome> DeleteAsync(IEnumerable<IReadOnlyList<string>> keys, CancellationToken cancellationToken, Action<string>? deleted = null, Action<string, string>? failed = null, IReadOnlySet<string>? silent = null)
    {
        long count = 0;
        var failures = new List<(string, string)>();
        foreach (var batch in keys)
        {
            IReadOnlyList<(string Key, string Error)> refused;
            try
            {
                refused = await store.DeleteAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var why = StoreErrors.Describe(e);
                refused = [.. batch.Select(key => (key, why))];
            }
            var gone = refused.Count == 0 ? null : refused.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
            foreach (var key in batch)
            {
                if (gone?.Contains(key) == true) continue;
                count++;
                if (silent?.Contains(key) == true) continue;
                deleted?.Invoke(key);
                if (logsActions) ActionLine.Log(logger, ActionLine.Delete, key, site: nameSite ? site.Name : null);
            }
            foreach (var (key, error) in refused)
            {
                failures.Add((key, error));
                if (nameSite) logger.LogError("site {Site}: {Key}: delete failed: {Error}; the next full sync retires it", site.Name, key, error);
                else logger.LogError("{Key}: delete failed: {Error}", key, error);
                failed?.Invoke(key, error);
            }
        }
        return new DeleteOutcome(count, failures);
    }
}
