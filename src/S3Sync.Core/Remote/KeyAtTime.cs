namespace S3Sync.Remote;

/// <summary>
/// What a key of a versioned bucket held at a time (<see cref="IObjectVersions.ListAtAsync"/>). The listing by folder
/// checks its chains against each other by versions, not by results: a folder whose keys were all deleted at the time
/// still lists its keys (as <see cref="Deleted"/>), so it is told apart from a folder the server misnamed.
/// </summary>
public enum KeyAtTime
{
    /// <summary>A version (<see cref="RemoteObject.VersionId"/>) was the key's newest at the time.</summary>
    Present,

    /// <summary>A delete marker was the key's newest at the time.</summary>
    Deleted,

    /// <summary>Every version of the key is newer than the time (<see cref="RemoteObject.LastModifiedUtc"/>: its oldest).</summary>
    NotYet,
}
