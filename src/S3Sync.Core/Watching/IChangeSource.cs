namespace S3Sync.Watching;

/// <summary>
/// The seam between the kernel and the watcher. The real one is <see cref="InotifySource"/>; tests wrap it to drop
/// events or inject an overflow, which the kernel cannot be made to produce on demand.
/// </summary>
public interface IChangeSource : IDisposable
{
    /// <summary>Installs the watches on the whole tree and starts reporting; returns once every watch is in place,
    /// so anything written after it returns is seen.</summary>
    void Start(Action<ChangeEvent> sink);

    /// <summary>Walks the tree again and adds any watch that is missing (after a watch-limit error or an overflow). After
    /// the root was gone or replaced (another device or inode at its path), drops every watch and watches the folder at
    /// the root's path afresh, then reports <see cref="ChangeKind.Rearmed"/>. Throws <see cref="IOException"/> when the
    /// root cannot be watched.</summary>
    void Rewatch();

    /// <summary>False when part of the tree is not watched (watch limit, root gone).</summary>
    bool Healthy { get; }

    /// <summary>Folders watched now.</summary>
    int WatchCount { get; }
}
