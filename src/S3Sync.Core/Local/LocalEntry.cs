namespace S3Sync.Local;

/// <summary>
/// A regular file under a site's folder. <see cref="Key"/> is its path relative to the folder with '/'
/// separators: the S3 key without the site's prefix.
/// </summary>
public sealed record LocalEntry(string Key, string FullPath, long Size, DateTime LastWriteUtc);

/// <summary>Something the walk met and could not use, reported per path.</summary>
public sealed record WalkIssue(string Path, string Message, bool IsError);
