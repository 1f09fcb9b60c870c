namespace S3Sync.Planning;

/// <summary>When <see cref="ChangeDetector"/> compares a file's mtime, mode and owner with those stored in the object.</summary>
public enum MetadataCheck
{
    /// <summary>Content and storage class only (verify without --deep).</summary>
    Never,

    /// <summary>When the file's ctime is not older than the object and the hash cache does not vouch for it (sync, verify --deep).</summary>
    WhenChangedSinceUpload,

    /// <summary>Whenever the hash cache does not vouch for the file (restore: the object is the reference).</summary>
    Always,
}
