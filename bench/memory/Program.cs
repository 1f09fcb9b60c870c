using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Hashing;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.State;

// Usage: MemoryRun ROOT FILES [STATE_DIR | --make-only]
// ROOT gets FILES empty files in folders of 1,000 (made once); the listing is generated to match, so the site is in
// sync. Runs one sync of the site (nothing to upload) and prints entries, time and peak RSS (VmHWM).
var root = args.Length > 0 ? args[0] : "/dev/shm/s3sync-memory";
var files = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
var stateDir = args.Length > 2 ? args[2] : null;
const int PerFolder = 1000;

string Key(int i) => string.Create(CultureInfo.InvariantCulture, $"d{i / PerFolder:D5}/f{i % PerFolder:D4}");

var marker = Path.Combine(root, $".made-{files}");
if (!File.Exists(marker))
{
    var make = Stopwatch.StartNew();
    if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    for (var i = 0; i < files; i++)
    {
        if (i % PerFolder == 0) Directory.CreateDirectory(Path.Combine(root, Key(i)[..6]));
        File.Create(Path.Combine(root, Key(i))).Dispose();
    }
    File.WriteAllText(marker, "");
    Console.Error.WriteLine($"made {files} files in {make.Elapsed.TotalSeconds:F1} s");
}

if (stateDir == "--make-only") return 0;

var site = new Site { Name = "memory", LocalPath = root, Bucket = "memory", Filter = new PathFilter([], [new System.Text.RegularExpressions.Regex(@"^\.made-")]) };
using var cache = stateDir is null ? null : HashCache.Open(stateDir, Console.Error.WriteLine);
var digests = new CachedDigestSource(cache, site.Name, DirectDigestSource.Instance);
var clock = Stopwatch.StartNew();
using var store = new GeneratedStore(files, Key);
var result = await new SiteSync(site, store, digests, new SyncSettings(), NullLogger.Instance).RunAsync(CancellationToken.None);
var hwm = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
var peakMb = long.Parse(hwm.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"entries={files} unchanged={result.Stats.Unchanged} uploaded={result.Stats.Uploaded} failed={result.Stats.Failed} cache_hits={digests.Hits} hashed={digests.Hashed} seconds={clock.Elapsed.TotalSeconds:F1} peak_rss_mb={peakMb:F0}"));
return result.Stats.Unchanged == files ? 0 : 1;

/// <summary>The listing of an in-sync bucket, generated page by page like S3's (1,000 keys a page); nothing else.</summary>
internal sealed class GeneratedStore(int count, Func<int, string> key) : IObjectStore
{
    private const string EmptyMd5 = "d41d8cd98f00b204e9800998ecf8427e";

    public StoreLocation Location { get; } = new("memory", "");

    public IObjectStore At(string prefix) => throw new NotSupportedException("siblings");

    public async IAsyncEnumerable<RemoteObject> ListAsync(string under, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var modified = DateTime.UtcNow;
        for (var i = 0; i < count; i++)
        {
            if (i % 1000 == 0) await Task.Yield();
            var k = key(i);
            if (!k.StartsWith(under, StringComparison.Ordinal) || (startAfter is not null && string.CompareOrdinal(k, startAfter) <= 0)) continue;
            yield return new RemoteObject(k, 0, "\"" + EmptyMd5 + "\"", "STANDARD", modified);
        }
    }

    public Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException("HEAD");
    public Task PutAsync(string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken) => throw new NotSupportedException("PUT " + key);
    public Task<ObjectDownload> GetAsync(string key, long offset, long? length, string? ifMatch, CancellationToken cancellationToken) => throw new NotSupportedException("GET");
    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException("GET");
    public Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) => throw new NotSupportedException("DELETE");
    public IMultipartUploads? Multipart => null;
    public IServerCopy? Copy => null;
    public IObjectVersions? Versions => null;
    public IFolderListing? Folders => null;
    public IBucketAdmin? Buckets => null;
    public void Dispose() { }
}
