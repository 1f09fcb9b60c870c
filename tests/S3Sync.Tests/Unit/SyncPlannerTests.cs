using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using S3Sync.Config;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;

namespace S3Sync.Tests.Unit;

/// <summary>The planner over a real temporary folder and an in-memory listing: no server involved.</summary>
public sealed class SyncPlannerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("s3sync-plan-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Md5Of(string content) => Convert.ToHexStringLower(MD5.HashData(System.Text.Encoding.UTF8.GetBytes(content)));

    private void Write(string relative, string content)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    [Theory]
    [InlineData(false, "changed.txt:* ChecksumDiffers Upload|gone.txt:. RemoteOnlyKept None|new.txt:+ Missing Upload|same.txt:= InSync None|sized.txt:* SizeDiffers Upload")]
    [InlineData(true, "changed.txt:* ChecksumDiffers Upload|gone.txt:- RemoteOnly Delete|new.txt:+ Missing Upload|same.txt:= InSync None|sized.txt:* SizeDiffers Upload")]
    public async Task Plans_each_key_with_a_reason_in_key_order(bool retireDeleted, string expected)
    {
        Write("same.txt", "same");
        Write("changed.txt", "new!");
        Write("sized.txt", "longer now");
        Write("new.txt", "new");
        var remote = new[]
        {
            new RemoteObject("changed.txt", 4, Md5Of("old!"), "STANDARD", DateTime.UnixEpoch),
            new RemoteObject("gone.txt", 1, Md5Of("g"), "STANDARD", DateTime.UnixEpoch),
            new RemoteObject("same.txt", 4, Md5Of("same"), "STANDARD", DateTime.UnixEpoch),
            new RemoteObject("sized.txt", 3, Md5Of("old"), "STANDARD", DateTime.UnixEpoch),
        };
        var site = new Site { Name = "t", LocalPath = _root, Bucket = "b", Prefix = "p", RetireDeleted = retireDeleted };
        var planner = new SyncPlanner(site, new ListingOnlyStore(remote), DirectDigestSource.Instance, new PlanOptions());

        var plan = new List<string>();
        await foreach (var e in planner.PlanAsync()) plan.Add($"{e.Key}:{e.Symbol} {e.Reason} {e.Action}");

        Assert.Equal(expected, string.Join("|", plan));
        Assert.True(planner.Complete);
        Assert.Equal(4, planner.RemoteCount);
    }

    /// <summary>Lists a fixed set of objects under the prefix; every other call is a test failure.</summary>
    private sealed class ListingOnlyStore(RemoteObject[] objects) : IObjectStore
    {
        public StoreLocation Location { get; } = new("b", "");
        public IObjectStore At(string prefix) => throw new InvalidOperationException();
        public IMultipartUploads? Multipart => null;
        public IServerCopy? Copy => null;
        public IObjectVersions? Versions => null;
        public IFolderListing? Folders => null;
        public IBucketAdmin? Buckets => null;

        public async IAsyncEnumerable<RemoteObject> ListAsync(string under, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            foreach (var o in objects)
                if (startAfter is null || KeyOrder.Instance.Compare(o.Key, startAfter) > 0) yield return o;
        }

        public Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken) => throw new InvalidOperationException("no HEAD expected");
        public Task PutAsync(string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken) => throw new InvalidOperationException();
        public Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) => throw new InvalidOperationException();
        public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) => throw new InvalidOperationException();
        public Task<ObjectDownload> GetAsync(string key, long offset, long? length, string? ifMatch, CancellationToken cancellationToken) => throw new InvalidOperationException();
        public void Dispose() { }
    }
}
