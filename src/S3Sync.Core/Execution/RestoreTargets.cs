using S3Sync.Config;
using S3Sync.Remote;

namespace S3Sync.Execution;

/// <summary>
/// Where a restore writes each site (and where a restore drill, <c>verify --to</c>, reads it back): the site's
/// local_path in place, or under a target folder: the folder itself for one site, a folder of the site's name in it
/// for several.
/// </summary>
public static class RestoreTargets
{
    /// <summary>A site's folder under <paramref name="to"/>: the folder itself for one site, <c>to/name</c> for several;
    /// null when the name cannot be a folder there (checked for every site before the first one runs).</summary>
    public static string? Under(Site site, string to, int sites)
    {
        var root = Path.GetFullPath(to);
        if (sites == 1) return root;
        var name = site.Name.Replace('/', '_');
        return name is "." or ".." || name.Length == 0 || name.Contains('\0', StringComparison.Ordinal) ? null : Path.Combine(root, name);
    }

    /// <summary>Where a site is restored: its local_path (<paramref name="to"/> null: in place) or <see cref="Under"/>.</summary>
    public static string? Of(Site site, string? to, int sites) => to is null ? site.LocalPath : Under(site, to, sites);

    /// <summary>The first site whose name cannot be a folder under <paramref name="to"/>, or null when every one can.</summary>
    public static Site? Unnamed(SyncConfig config, string? to) =>
        config.Sites.FirstOrDefault(s => Of(s, to, config.Sites.Count) is null);

    /// <summary>The configuration with each site's local_path moved under <paramref name="to"/> (the restore drill: the
    /// site's other settings with the restored folder). Check <see cref="Unnamed"/> first.</summary>
    public static SyncConfig Moved(SyncConfig config, string to) =>
        config with { Sites = [.. config.Sites.Select(s => s with { LocalPath = Under(s, to, config.Sites.Count)! })] };

    /// <summary>The newest run folder under the site's backup_path, or null when there is none.</summary>
    public static async Task<string?> LatestRunAsync(Site site, IObjectStore store, CancellationToken cancellationToken)
    {
        using var place = store.At(BackupPlace.PrefixOf(site));
        var level = place.Folders is { } folders ? await folders.ListLevelAsync("", 100_000, cancellationToken).ConfigureAwait(false) : null;
        return level?.Folders.Select(f => f.TrimEnd('/')).Where(f => BackupPlace.TryParseRun(f, out _)).Order(StringComparer.Ordinal).LastOrDefault();
    }
}
