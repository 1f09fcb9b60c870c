namespace S3Sync.Local;

/// <summary>
/// Which file a path named when it was listed: device and inode. A read checks the handle it opened against it,
/// so a file swapped (for a link, or another file) between the listing and the read is never read in its place.
/// </summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode);
