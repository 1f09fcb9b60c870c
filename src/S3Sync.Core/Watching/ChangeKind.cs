namespace S3Sync.Watching;

/// <summary>What a change source reports. Paths are full paths under the watched root.</summary>
public enum ChangeKind
{
    /// <summary>Written to and maybe still open (IN_MODIFY): upload once quiet.</summary>
    Modified,
    /// <summary>Found by the scan of a new folder (maybe still open): upload once quiet, unless it matches its object
    /// already (a restore into the watched folder creates folders, and their files may be in place before the watch).</summary>
    Found,
    /// <summary>Renamed into place from a restore's temporary name (<c>.s3sync-restore-*.part</c>): a file a restore
    /// verified against its object. Uploaded only when it differs from that object, so a restore into a watched folder
    /// is not sent back.</summary>
    Restored,
    /// <summary>Complete: closed after writing (IN_CLOSE_WRITE) or renamed into place (IN_MOVED_TO): upload now.</summary>
    Closed,
    /// <summary>A file deleted or moved away.</summary>
    Removed,
    /// <summary>A folder moved away (or out of the tree): every key below it is gone.</summary>
    FolderRemoved,
    /// <summary>A folder renamed within the tree (an IN_MOVED_FROM and IN_MOVED_TO pair of one cookie):
    /// <see cref="ChangeEvent.Path"/> is the new path, <see cref="ChangeEvent.Detail"/> the old one.</summary>
    Moved,
    /// <summary>The kernel dropped events (IN_Q_OVERFLOW): only a rescan can tell what changed.</summary>
    Overflow,
    /// <summary>A watch could not be added because fs.inotify.max_user_watches is reached: that part of the tree is blind.</summary>
    WatchLimit,
    /// <summary>The watched root was deleted, moved or unmounted.</summary>
    RootGone,
    /// <summary>After the root was gone or replaced, <see cref="IChangeSource.Rewatch"/> dropped every watch of the old
    /// folder and watches the folder now at local_path: every event before this one came from the old folder.</summary>
    Rearmed,
    /// <summary>Something else went wrong (a folder that cannot be watched); <see cref="ChangeEvent.Detail"/> says what.</summary>
    Problem,
}
