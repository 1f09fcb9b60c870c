using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Planning;

namespace S3Sync.Tests.Support;

/// <summary>
/// A site whose bucket is a <see cref="MemoryStore"/>: a temporary local folder written from a short tree text
/// ("a.txt=one sub/b.txt=two"), and the real <see cref="SiteSync"/> run over both, its actions collected as
/// "verb:key" or "verb:key(status)" lines. For table tests of the engine that need no server.
/// </summary>
public sealed class MemorySite : IDisposable
{
    public const string Bucket = "memory";

    public MemorySite(string prefix = "p")
    {
        Root = Directory.CreateTempSubdirectory("s3sync-mem-").FullName;
        Local = Path.Combine(Root, "local");
        Directory.CreateDirectory(Local);
        Site = new Site { Name = "m", LocalPath = Local, Bucket = Bucket, Prefix = prefix };
        Store = new MemoryStore(Bucket, prefix: Site.ListPrefix);
    }

    public string Root { get; }
    public string Local { get; }
    public Site Site { get; set; }
    /// <summary>The bucket, bound to the site's prefix (its inspection API speaks full keys).</summary>
    public MemoryStore Store { get; }

    /// <summary>The keys of the bucket relative to the site's prefix, with their bodies: "a.txt=one sub/b.txt=two".</summary>
    public string Bucketed => string.Join(' ', Store.Objects.Where(o => o.Key.StartsWith(Site.ListPrefix, StringComparison.Ordinal))
        .Select(o => $"{o.Key[Site.ListPrefix.Length..]}={Encoding.UTF8.GetString(o.Body!)}"));

    /// <summary>Makes the local folder hold exactly <paramref name="tree"/> ("name=content ..."; "" empties it): files
    /// whose content is already that are left alone (their mtimes too), others written, the rest deleted.</summary>
    public void Tree(string tree)
    {
        var wanted = Parse(tree).ToDictionary(e => e.Name, e => e.Content, StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Local, "*", SearchOption.AllDirectories))
            if (!wanted.ContainsKey(Path.GetRelativePath(Local, file))) File.Delete(file);
        foreach (var (name, content) in wanted)
        {
            var path = Path.Combine(Local, name);
            if (File.Exists(path) && File.ReadAllText(path) == content) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }
    }

    /// <summary>Puts objects as another tool would (no s3sync metadata), relative to the prefix.</summary>
    public void Foreign(string tree)
    {
        foreach (var (name, content) in Parse(tree)) Store.Seed(Site.KeyFor(name), Encoding.UTF8.GetBytes(content));
    }

    public static IEnumerable<(string Name, string Content)> Parse(string tree) =>
        tree.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split('=', 2)).Select(p => (p[0], p.Length > 1 ? p[1] : ""));

    /// <summary>Runs a sync of the site; the actions it reported, sorted, "Done" left out of each line.</summary>
    public async Task<(SiteResult Result, string Actions)> SyncAsync(SyncSettings? settings = null, DeletionStage? deletions = null)
    {
        var events = new ConcurrentQueue<ActionEvent>();
        var sync = new SiteSync(Site, Store, DirectDigestSource.Instance, settings ?? new SyncSettings { Workers = 2 }, NullLogger.Instance, deletions);
        sync.Acted += events.Enqueue;
        var result = await sync.RunAsync(CancellationToken.None);
        return (result, Actions(events));
    }

    public static string Actions(IEnumerable<ActionEvent> events) =>
        string.Join(' ', events.Select(e => e.Status == ActionStatus.Done ? $"{e.Verb}:{e.Key}" : $"{e.Verb}:{e.Key}({e.Status.ToString().ToLowerInvariant()})").Order(StringComparer.Ordinal));

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
