namespace S3Sync.Local;

/// <summary>
/// A regular file under a site's folder. <see cref="Key"/> is its path relative to the folder with '/'
/// separators: the S3 key without the site's prefix. <see cref="Identity"/> is the file the walk listed (null when
/// the entry did not come from the walk); every read is checked against it (<see cref="LocalFile.OpenRead"/>).
/// With <c>symlinks: follow</c>, <see cref="FullPath"/> is the real path of the link's final target, which the walk
/// opened and checked, and <see cref="Identity"/> is that target's.
/// </summary>
public sealed record LocalEntry(string Key, string FullPath, long Size, DateTime LastWriteUtc, FileIdentity? Identity = null)
{
    /// <summary>With <c>symlinks: preserve</c>, a link's target: the entry's content is the target's UTF-8 bytes.</summary>
    public string? LinkTarget { get; init; }

    /// <summary>The status change time the walk read (ns since the epoch; 0 when unknown): a poll of the tree
    /// (<see cref="Watching.PollingSource"/>) sees a rewrite that kept size and mtime, or a chmod, by it.</summary>
    public long CtimeNs { get; init; }

    /// <summary>A folder (its key ends in '/', <c>folders: true</c>): its mode, owner and mtime as the walk's handle of it
    /// said, stored in its zero-byte marker object. Null for a file or link.</summary>
    public FileMetadata? Folder { get; init; }

    /// <summary>A folder's ctime (Unix ns) when the walk opened it: newer than its marker means a chmod, chown or a
    /// change of its entries since the marker was written.</summary>
    public long FolderCtimeNs { get; init; }
}
