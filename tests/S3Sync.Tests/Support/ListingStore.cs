using System.Runtime.CompilerServices;
using S3Sync.Local;
using S3Sync.Remote;

namespace S3Sync.Tests.Support;

/// <summary>
/// A store that only lists, from keys held in memory, as S3 does: key order by UTF-8 bytes, pages of 1,000,
/// <c>StartAfter</c>, and levels by the delimiter '/'. Counts the pages asked for. For table tests of the listing strategies; everything else is not supported.
/// </summary>
public sealed class ListingStore(IEnumerable<string> keys, string prefix = "") : IObjectStore, IFolderListing
{
    private readonly string[] _keys = [.. keys.Distinct(StringComparer.Ordinal).Order(KeyOrder.Instance)];
    private int _pages;
    private int _folderPages;

    public int Pages => _pages;
    public int FolderPages => _folderPages;

    /// <summary>Whether the store answers folder listings (S3 does; a store that cannot says null).</summary>
    public bool AnswersFolders { get; init; } = true;

    public StoreLocation Location { get; } = new("b", prefix);
    public IObjectStore At(string prefix) => throw new NotSupportedException();
    public IMultipartUploads? Multipart => null;
    public IServerCopy? Copy => null;
    public IObjectVersions? Versions => null;
    public IFolderListing? Folders => this;
    public IBucketAdmin? Buckets => null;

    public async IAsyncEnumerable<RemoteObject> ListAsync(string under, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var prefix = Location.Join(under);
        var listed = _keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[Location.Prefix.Length..])
            .Where(k => startAfter is null || KeyOrder.Instance.Compare(k, startAfter) > 0).ToList();
        for (var i = 0; i < listed.Count || i == 0; i += 1000)
        {
            Interlocked.Increment(ref _pages);
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var key in listed.Skip(i).Take(1000)) yield return Object(key);
        }
    }

    public Task<FolderLevel?> ListLevelAsync(string under, int most, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _folderPages);
        if (!AnswersFolders) return Task.FromResult<FolderLevel?>(null);
        var prefix = Location.Join(under);
        var level = _keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[prefix.Length..]).ToList();
        var folders = level.Where(k => k.Contains('/', StringComparison.Ordinal)).Select(k => k[..(k.IndexOf('/', StringComparison.Ordinal) + 1)])
            .Distinct(StringComparer.Ordinal).Order(KeyOrder.Instance).ToList();
        var objects = level.Where(k => !k.Contains('/', StringComparison.Ordinal)).Select(Object).ToList();
        return Task.FromResult<FolderLevel?>(folders.Count + objects.Count > most ? null : new FolderLevel(objects, folders));
    }

    private static RemoteObject Object(string key) => new(key, 1, "d41d8cd98f00b204e9800998ecf8427e", "STANDARD", DateTime.UnixEpoch);

    public Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task PutAsync(string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<ObjectDownload> GetAsync(string key, long offset, long? length, string? ifMatch, CancellationToken cancellationToken) => throw new NotSupportedException();
    public void Dispose() { }
}
