namespace S3Sync.Remote;

/// <summary>A versioned bucket's versions (<see cref="IObjectStore.Versions"/>); keys relative to the store's prefix.</summary>
public interface IObjectVersions
{
    /// <summary>
    /// Lists the tree as it was at <paramref name="at"/>: per key, the newest version last modified at or before it,
    /// with its <see cref="RemoteObject.VersionId"/>; keys whose newest version then was a delete marker, or that did
    /// not exist yet, are left out. Key order, like <see cref="IObjectStore.ListAsync"/>.
    /// </summary>
    IAsyncEnumerable<RemoteObject> ListAtAsync(DateTime at, CancellationToken cancellationToken);

    /// <summary>Every version and delete marker: keys in key order, each key's versions newest first (<c>ls --versions</c>).</summary>
    IAsyncEnumerable<ObjectVersion> ListVersionsAsync(CancellationToken cancellationToken);

    /// <summary>A HEAD of one version (<paramref name="versionId"/> null: the current object).</summary>
    Task<ObjectHead?> HeadAsync(string key, string? versionId, CancellationToken cancellationToken);

    /// <summary>As <see cref="IObjectStore.GetAsync"/>, of one version (<paramref name="versionId"/> null: the current object).</summary>
    Task<ObjectDownload> GetAsync(string key, string? versionId, long offset, long? length, string? ifMatch, CancellationToken cancellationToken);
}
