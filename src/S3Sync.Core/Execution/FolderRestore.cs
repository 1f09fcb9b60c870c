using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;

namespace S3Sync.Execution;

/// <summary>
/// Restore's folders (<c>folders: true</c>): each <c>key/</c> marker of the plan that is missing on the disk or whose
/// mode, owner or mtime differ is collected while the files are restored, and applied when they are all done: a folder's
/// mtime changes with every entry made in it, so it is set last, deepest folder first (a folder made read-only after its
/// content, its parent after it). Each folder is reached through <see cref="TargetFolder.OpenFolder"/> (every name
/// opened <c>O_NOFOLLOW | O_DIRECTORY</c> from its parent's descriptor, missing ones made: empty folders come back)
/// and changed through that descriptor (<c>fchown</c>, <c>fchmod</c>, <c>futimens</c>), never by a name that could be
/// swapped for a link. Metadata from the bucket is checked first (<see cref="FileMetadata.Problem"/>: a folder's mode,
/// an mtime a file system holds); without the owner (not root, <c>--no-owner</c>) no setuid or setgid bit is set.
/// Memory: one entry per folder to fix, not per file.
/// </summary>
public sealed class FolderRestore(IObjectStore store, RestoreSettings settings)
{
    private readonly List<PlanEntry> _folders = [];

    /// <summary>Test seam: called with a folder's key just before it is opened to be given its metadata.</summary>
    internal static readonly AsyncLocal<Action<string>?> BeforeApply = new();

    public void Add(PlanEntry entry) => _folders.Add(entry);

    public async Task<IReadOnlyList<FolderOutcome>> ApplyAsync(TargetFolder target, CancellationToken cancellationToken)
    {
        // The metadata: the plan's HEAD when it read one, else a GET of the empty marker (of its version with --at).
        var stored = new FileMetadata?[_folders.Count];
        var failed = new string?[_folders.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, _folders.Count), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.Workers), CancellationToken = cancellationToken }, async (i, token) =>
        {
            var entry = _folders[i];
            if (entry.Stored is { } known) { stored[i] = known; return; }
            try
            {
                using var download = await (entry.Remote?.VersionId is { } version
                    ? (store.Versions ?? throw StoreCapabilities.Missing("read versions")).GetAsync(entry.Key, version, 0, null, null, token)
                    : store.GetAsync(entry.Key, 0, null, null, token)).ConfigureAwait(false);
                stored[i] = download.File;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed[i] = $"cannot read the folder marker: {StoreErrors.Describe(e)}";
            }
        }).ConfigureAwait(false);

        var outcomes = new List<FolderOutcome>(_folders.Count);
        for (var i = _folders.Count - 1; i >= 0; i--)
        {
            var entry = _folders[i];
            if (failed[i] is { } why)
            {
                outcomes.Add(new FolderOutcome(entry, why));
                continue;
            }
            try
            {
                if (stored[i]?.Problem(folder: true) is { } problem) throw new IOException($"not applied: {problem}");
                BeforeApply.Value?.Invoke(entry.Key);
                using var folder = target.OpenFolder(entry.Key[..^1].Split('/'));
                if (entry.Local?.Identity is { } listed && TargetFolder.StatOf(folder).Identity != listed)
                    throw new IOException("replaced since it was compared with its marker: nothing was applied to it");
                if (stored[i] is { } m)
                    TargetFolder.Apply(folder, settings.Owner ? m.Permissions : m.Permissions & ~FileMetadata.SetIdBits, m.MtimeNs, Downloader.OwnerOf(m, settings.Owner));
                outcomes.Add(new FolderOutcome(entry, null));
            }
            catch (IOException e)
            {
                outcomes.Add(new FolderOutcome(entry, e.Message));
            }
        }
        return outcomes;
    }
}
