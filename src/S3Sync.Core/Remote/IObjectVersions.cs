namespace S3Sync.Remote;

/// <summary>A versioned bucket's versions (<see cref="IObjectStore.Versions"/>); keys relative to the store's prefix.</summary>
public interface IObjectVersions
{
    /// <summary>
    /// Every key with a version under <paramref name="under"/> ("" or ending in '/'), after <paramref name="startAfter"/>
    /// when given (keys relative to the store's prefix), in key order, with what it held at <paramref name="at"/>
    /// (<see cref="RemoteObject.At"/>): the newest version last modified at or before it, with its
    /// <see cref="RemoteObject.VersionId"/>; or a delete marker; or nothing yet. The tree at a time is the keys
    /// <see cref="KeyAtTime.Present"/> (<see cref="Planning.RangeListing.ListAtAsync"/>, listed by folder side by side).
    /// </summary>
    IAsyncEnumerable<RemoteObject> ListAtAsync(DateTime at, string under, string? startAfter, CancellationToken cancellationToken);

    /// <summary>One level of the versions under <paramref name="under"/> (a listing of versions with the delimiter '/'), as
    /// <see cref="IFolderListing.ListLevelAsync"/>: its keys as <see cref="ListAtAsync"/> gives them, and its folders (a
    /// folder whose keys are all deleted is still one). Null when there are more than <paramref name="most"/> entries.</summary>
    Task<FolderLevel?> ListLevelAtAsync(DateTime at, string under, int most, CancellationToken cancellationToken);

    /// <summary>Every version and delete marker: keys in key order, each key's versions newest first (<c>ls --versions</c>).</summary>
    IAsyncEnumerable<ObjectVersion> ListVersionsAsync(CancellationToken cancellationToken);

    /// <summary>A HEAD of one version (<paramref name="versionId"/> null: the current object).</summary>
    Task<ObjectHead?> HeadAsync(string key, string? versionId, CancellationToken cancellationToken);

    /// <summary>As <see cref="IObjectStore.GetAsync"/>, of one version (<paramref name="versionId"/> null: the current object).</summary>
    Task<ObjectDownload> GetAsync(string key, string? versionId, long offset, long? length, string? ifMatch, CancellationToken cancellationToken);
}
