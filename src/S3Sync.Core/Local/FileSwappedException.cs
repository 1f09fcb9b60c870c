namespace S3Sync.Local;

/// <summary>
/// The path no longer names the regular file that was listed: it became a link, a folder or another file between
/// the listing and the read. It counts as a file that vanished (skipped, its object kept); nothing was read.
/// </summary>
public sealed class FileSwappedException(string path, string what)
    : FileNotFoundException($"{path}: {what} between the listing and the read; skipped (nothing read)", path);
