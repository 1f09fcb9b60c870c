using System.Runtime.CompilerServices;
using S3Sync.Planning;
using S3Sync.Remote;

namespace S3Sync.Tests.Support;

/// <summary>
/// A store that only lists, from keys held in memory, as S3 does: key order by UTF-8 bytes, pages of 1,000,
/// <c>StartAfter</c>, and levels by the delimiter '/'. Counts the pages asked for. For table tests of the listing strategies; everything else is not supported.
/// </summary>
public sealed class ListingStore(IEnumerable<string> keys) : IObjectStore
{
    private readonly string[] _keys = [.. keys.Distinct(StringComparer.Ordinal).Order(KeyOrder.Instance)];
    private int _pages;
    private int _folderPages;

    public int Pages => _pages;
    public int FolderPages => _folderPages;

    /// <summary>Whether the store answers folder listings (S3 does; a store that cannot says null).</summary>
    public bool Folders { get; init; } = true;

    public IAsyncEnumerable<RemoteObject> ListAsync(string bucket, string prefix, CancellationToken cancellationToken) => ListAsync(bucket, prefix, null, cancellationToken);

    public async IAsyncEnumerable<RemoteObject> ListAsync(string bucket, string prefix, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var under = _keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[prefix.Length..])
            .Where(k => startAfter is null || KeyOrder.Instance.Compare(k, startAfter) > 0).ToList();
        for (var i = 0; i < under.Count || i == 0; i += 1000)
        {
            Interlocked.Increment(ref _pages);
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var key in under.Skip(i).Take(1000)) yield return Object(key);
        }
    }

    public Task<FolderLevel?> ListLevelAsync(string bucket, string prefix, int most, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _folderPages);
        if (!Folders) return Task.FromResult<FolderLevel?>(null);
        var under = _keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[prefix.Length..]).ToList();
        var folders = under.Where(k => k.Contains('/', StringComparison.Ordinal)).Select(k => k[..(k.IndexOf('/', StringComparison.Ordinal) + 1)])
            .Distinct(StringComparer.Ordinal).Order(KeyOrder.Instance).ToList();
        var objects = under.Where(k => !k.Contains('/', StringComparison.Ordinal)).Select(Object).ToList();
        return Task.FromResult<FolderLevel?>(folders.Count + objects.Count > most ? null : new FolderLevel(objects, folders));
    }

    private static RemoteObject Object(string key) => new(key, 1, "d41d8cd98f00b204e9800998ecf8427e", "STANDARD", DateTime.UnixEpoch);

    public Task<ObjectHead?> HeadAsync(string bucket, string key, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task PutAsync(string bucket, string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<string> StartMultipartAsync(string bucket, string key, UploadHeaders headers, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<string> UploadPartAsync(string bucket, string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task CompleteMultipartAsync(string bucket, string key, string uploadId, IReadOnlyList<(int PartNumber, string ETag)> parts, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task AbortMultipartAsync(string bucket, string key, string uploadId, CancellationToken cancellationToken) => throw new NotSupportedException();
    public IAsyncEnumerable<OpenUpload> ListOpenUploadsAsync(string bucket, string prefix, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task ChangeStorageClassAsync(string bucket, string key, string storageClass, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(string bucket, IReadOnlyList<string> keys, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<Stream> OpenReadAsync(string bucket, string key, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<ObjectDownload> GetAsync(string bucket, string key, long offset, long? length, string? versionId, string? ifMatch, CancellationToken cancellationToken) => throw new NotSupportedException();
    public void Dispose() { }
}
