using System.Text;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Tests.Support;
using S3Sync.Watching;

namespace S3Sync.Tests.Engine;

/// <summary>
/// The watcher loop without Ceph or inotify: the real <see cref="SiteWatcher"/> over a temporary folder and the
/// in-memory store, driven by scripted events (<see cref="ScriptedSource"/>) on a clock that moves only when told
/// (<see cref="ManualClock"/>). Each row is a script of steps, separated by spaces:
/// <c>w:key=text</c> writes a file, <c>rm:key</c> removes a file, <c>rmdir:dir</c> a folder, <c>mv:from&gt;to</c>
/// renames, <c>ln:key&gt;target</c> makes a symbolic link, <c>touch:key</c> moves a file's mtime back a day,
/// <c>ev:Kind:key</c> is the change source's event, <c>tick:ms</c> moves the clock, and <c>await:Activity:key</c> waits
/// for the watcher's next such activity (awaited, never slept for), <c>none:Activity:key</c> asserts there was none so
/// far (after an awaited later event: the loop takes events in order). A quiet time is counted from when the loop took
/// the event, so a tick follows an awaited later event too. The row then says what the bucket holds.
/// </summary>
public sealed class WatcherTableTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static string Tree(int files) => string.Join(' ', Enumerable.Range(0, files).Select(i => $"f{i:00}={i}"));

    public static TheoryData<string, string, string, string, string> Rows => new()
    {
        // name, site settings, initial tree, script, bucket after
        { "create", "", "a=1", "w:b=2 ev:Closed:b await:Uploaded:b", "a=1 b=2" },
        { "modify, debounced", "", "a=1", "w:a=22 ev:Modified:a w:b=2 ev:Closed:b await:Uploaded:b tick:999 w:c=3 ev:Closed:c await:Uploaded:c none:Uploaded:a tick:1 await:Uploaded:a", "a=22 b=2 c=3" },
        { "delete", "", "a=1 b=2 c=3", "rm:b ev:Removed:b await:Deleted:b", "a=1 c=3" },
        { "rename", "", "a=1 b=2 c=3", "mv:a>d ev:Removed:a ev:Closed:d await:Uploaded:d await:Deleted:a", "b=2 c=3 d=1" },
        { "folder removed", "", "a=1 d/x=2 d/y=3", "rmdir:d ev:FolderRemoved:d await:Deleted:d/x await:Deleted:d/y", "a=1" },
        { "link, preserve", "preserve", "a.txt=a", "ln:cur>a.txt ev:Closed:cur await:Uploaded:cur", "a.txt=a cur=a.txt" },
        { "link retargeted as ln -sfn does", "preserve", "a.txt=a b.txt=b",
            "ln:cur>a.txt ev:Closed:cur await:Uploaded:cur ln:CUR.tmp>b.txt ev:Closed:CUR.tmp await:Uploaded:CUR.tmp mv:CUR.tmp>cur ev:Removed:CUR.tmp ev:Closed:cur await:Deleted:CUR.tmp await:Uploaded:cur",
            "a.txt=a b.txt=b cur=b.txt" },
        { "link retargeted by ln -sfn, retire_deleted off: the temporary name is never uploaded", "preserve-keep", "a.txt=a b.txt=b",
            "ln:cur>a.txt ev:Modified:cur w:z=9 ev:Closed:z await:Uploaded:z tick:1000 await:Uploaded:cur ln:CUR.tmp>b.txt ev:Modified:CUR.tmp mv:CUR.tmp>cur ev:Removed:CUR.tmp ev:Closed:cur await:Uploaded:cur tick:1000 w:y=8 ev:Closed:y await:Uploaded:y none:Uploaded:CUR.tmp",
            "a.txt=a b.txt=b cur=b.txt y=8 z=9" },
        { "link, skip", "", "a.txt=a", "ln:cur>a.txt ev:Closed:cur w:z=9 ev:Closed:z await:Uploaded:z none:Uploaded:cur", "a.txt=a z=9" },
        { "link to a file, follow: the file's content under the link's key", "follow", "a.txt=a", "ln:cur>a.txt ev:Modified:cur w:z=9 ev:Closed:z await:Uploaded:z tick:1000 await:Uploaded:cur", "a.txt=a cur=a z=9" },
        { "link retargeted by a rename, follow", "follow", "a.txt=a b.txt=b",
            "ln:cur>a.txt ev:Closed:cur await:Uploaded:cur ln:CUR.tmp>b.txt ev:Modified:CUR.tmp mv:CUR.tmp>cur ev:Removed:CUR.tmp ev:Closed:cur await:Uploaded:cur",
            "a.txt=a b.txt=b cur=b" },
        { "link to a folder, follow: a full sync uploads its files under the link's key", "follow", "d/x=1 d/y=2", "ln:e>d ev:Modified:e w:z=9 ev:Closed:z await:Uploaded:z tick:1000 await:FullSyncDone:", "d/x=1 d/y=2 e/x=1 e/y=2 z=9" },
        { "link out of local_path, follow: refused as the walk refuses", "follow", "a.txt=a",
            "w:../outside=o ln:out>../outside ev:Closed:out w:z=9 ev:Closed:z await:Uploaded:z", "a.txt=a z=9" },
        { "new empty folder, folders: its marker is written", "folders", "a=1", "mkdir:d ev:Found:d/ w:z=9 ev:Closed:z await:Uploaded:z tick:1000 await:Uploaded:d/", "a=1 d/= z=9" },
        { "last file of a folder removed, folders: its marker is rewritten", "folders", "a=1 d/x=2",
            "rm:d/x ev:Removed:d/x await:Deleted:d/x tick:1000 await:ChangedInPlace:d/", "a=1 d/=" },
        { "folder removed, folders: its marker is deleted", "folders", "a=1 d/x=2 d/e/y=3",
            "rmdir:d ev:Removed:d/e/y ev:Removed:d/e/ ev:Removed:d/x ev:Removed:d/ await:Deleted:d/ await:Deleted:d/e/", "a=1" },
        { "folder moved out, folders: its markers are deleted", "folders", "a=1 d/x=2 d/e/y=3",
            "rmdir:d ev:FolderRemoved:d await:Deleted:d/ await:Deleted:d/e/ await:Deleted:d/x", "a=1" },
        { "restored in sync", "", "a=1", "ev:Restored:a await:Unchanged:a none:Uploaded:a", "a=1" },
        { "found with another mtime: a copy in place, as sync", "", "a=1", "touch:a ev:Found:a w:z=9 ev:Closed:z await:Uploaded:z tick:1000 await:ChangedInPlace:a none:Uploaded:a", "a=1 z=9" },
        { "found with another mtime, metadata: false", "nometadata", "a=1", "touch:a ev:Found:a w:z=9 ev:Closed:z await:Uploaded:z tick:1000 await:Unchanged:a", "a=1 z=9" },
        { "max_delete 5% of 21 allows one", "5%", Tree(21), "rm:f03 ev:Removed:f03 await:Deleted:f03", string.Join(' ', MemorySite.Parse(Tree(21)).Where(f => f.Name != "f03").Select(f => $"{f.Name}={f.Content}")) },
        { "max_delete 5% of 21 holds two at once", "5%", Tree(19) + " d/x=x d/y=y", "rmdir:d ev:FolderRemoved:d await:DeletesHeld:", "d/x=x d/y=y " + Tree(19) },
        { "held deletions hold the next ones until a full sync", "5%", Tree(21),
            "rm:f00 ev:Removed:f00 await:Deleted:f00 rm:f01 ev:Removed:f01 await:DeletesHeld: tick:61000 rm:f02 ev:Removed:f02 await:DeletesHeld:",
            string.Join(' ', MemorySite.Parse(Tree(21)).Skip(1).Select(f => $"{f.Name}={f.Content}")) },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Watch_events_become_one_key_plans_through_the_engine(string name, string settings, string tree, string script, string bucket)
    {
        _ = name;
        using var site = new MemorySite(prefix: "");
        site.Site = site.Site with
        {
            RetireDeleted = !settings.EndsWith("-keep", StringComparison.Ordinal),
            WatchInterval = 1000,
            MaxDelete = settings == "5%" && DeleteLimit.TryParse("5%", out var limit) ? limit : site.Site.MaxDelete,
            Symlinks = settings.StartsWith("preserve", StringComparison.Ordinal) ? SymlinkMode.Preserve : settings == "follow" ? SymlinkMode.Follow : SymlinkMode.Skip,
            Metadata = settings != "nometadata",
            Folders = settings == "folders",
        };
        site.Tree(tree);
        await using var watch = await RunningWatch.StartAsync(site);

        foreach (var step in script.Split(' ', StringSplitOptions.RemoveEmptyEntries)) await watch.StepAsync(step);

        Assert.Equal(bucket, site.Bucketed);
        if (name.Contains("copy in place", StringComparison.Ordinal))
            Assert.DoesNotContain(site.Store.Calls.SkipWhile(c => c != "HEAD a"), c => c.StartsWith("PUT", StringComparison.Ordinal));
        if (name.Contains("ln -sfn", StringComparison.Ordinal))
            Assert.Equal("b.txt", site.Store["cur"]!.Meta("s3sync-symlink"));
        if (name.Contains("marker is", StringComparison.Ordinal) && Directory.Exists(Path.Combine(site.Local, "d")))
            Assert.Equal(Remote.ObjectMetadata.FormatMtime((Directory.GetLastWriteTimeUtc(Path.Combine(site.Local, "d")) - DateTime.UnixEpoch).Ticks * 100)[..^2],
                site.Store["d/"]!.Meta(Remote.ObjectMetadata.MtimeKey)![..^2]);
        if (name.Contains("refused", StringComparison.Ordinal))
            Assert.Contains("out: refused: symbolic link: its target " + Path.Combine(site.Root, "outside") + " is outside local_path", watch.Log, StringComparison.Ordinal);
    }

    /// <summary>A watcher running over a <see cref="MemorySite"/>, its initial full sync done.</summary>
    private sealed class RunningWatch : IAsyncDisposable
    {
        private readonly MemorySite _site;
        private readonly ManualClock _clock = new();
        private readonly ScriptedSource _source;
        private readonly SiteWatcher _watcher;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<WatchActivity> _seen = [];
        private readonly Dictionary<string, int> _awaited = [];
        private readonly SemaphoreSlim _signal = new(0);
        private readonly ListLogger _log = new();
        private Task _run = Task.CompletedTask;

        /// <summary>What the watcher logged so far.</summary>
        public string Log => _log.Text;

        private RunningWatch(MemorySite site)
        {
            _site = site;
            _source = new ScriptedSource(site.Local, _clock);
            _watcher = new SiteWatcher(site.Site, site.Store, _source, new WatchSettings { Time = _clock, Workers = 2, RescanIntervalSeconds = 0, ShutdownGrace = TimeSpan.Zero },
                new SiteMetrics(site.Site.Name), _log);
            _watcher.Activity += a =>
            {
                lock (_seen) _seen.Add(a);
                _signal.Release();
            };
        }

        public static async Task<RunningWatch> StartAsync(MemorySite site)
        {
            var watch = new RunningWatch(site);
            watch._run = Task.Run(() => watch._watcher.RunAsync(watch._stop.Token));
            await watch.WaitAsync(WatchActivityKind.FullSyncDone, null);
            return watch;
        }

        public async Task StepAsync(string step)
        {
            var (verb, rest) = (step[..step.IndexOf(':')], step[(step.IndexOf(':') + 1)..]);
            var local = _site.Local;
            switch (verb)
            {
                case "w":
                    var (key, text) = (rest[..rest.IndexOf('=')], rest[(rest.IndexOf('=') + 1)..]);
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(local, key))!);
                    File.WriteAllText(Path.Combine(local, key), text);
                    break;
                case "rm":
                    File.Delete(Path.Combine(local, rest));
                    break;
                case "mkdir":
                    Directory.CreateDirectory(Path.Combine(local, rest));
                    break;
                case "rmdir":
                    Directory.Delete(Path.Combine(local, rest), recursive: true);
                    break;
                case "mv":
                    File.Move(Path.Combine(local, rest.Split('>')[0]), Path.Combine(local, rest.Split('>')[1]), overwrite: true);
                    break;
                case "ln":
                    File.CreateSymbolicLink(Path.Combine(local, rest.Split('>')[0]), rest.Split('>')[1]);
                    break;
                case "touch":
                    File.SetLastWriteTimeUtc(Path.Combine(local, rest), File.GetLastWriteTimeUtc(Path.Combine(local, rest)).AddDays(-1));
                    break;
                case "ev":
                    var kind = Enum.Parse<ChangeKind>(rest[..rest.IndexOf(':')]);
                    _source.Emit(kind, rest[(rest.IndexOf(':') + 1)..]);
                    break;
                case "tick":
                    _clock.Advance(TimeSpan.FromMilliseconds(int.Parse(rest, System.Globalization.CultureInfo.InvariantCulture)));
                    break;
                case "await":
                    var what = rest[..rest.IndexOf(':')];
                    var about = rest[(rest.IndexOf(':') + 1)..];
                    await WaitAsync(Enum.Parse<WatchActivityKind>(what), about.Length == 0 ? null : about);
                    break;
                case "none":
                    var kindNot = Enum.Parse<WatchActivityKind>(rest[..rest.IndexOf(':')]);
                    var keyNot = rest[(rest.IndexOf(':') + 1)..];
                    lock (_seen) Assert.DoesNotContain(_seen, a => a.Kind == kindNot && a.Key == keyNot);
                    break;
                default:
                    throw new ArgumentException($"unknown step {step}");
            }
        }

        /// <summary>Waits for one more activity of a kind (for a key) than the steps awaited so far.</summary>
        public async Task WaitAsync(WatchActivityKind kind, string? key)
        {
            var id = $"{kind} {key}";
            var count = _awaited[id] = _awaited.GetValueOrDefault(id) + 1;
            var until = DateTime.UtcNow + Deadline;
            while (true)
            {
                lock (_seen)
                    if (_seen.Count(a => a.Kind == kind && (key is null || a.Key == key)) >= count) return;
                if (_run.IsCompleted) await _run;
                if (DateTime.UtcNow > until)
                {
                    string seen;
                    lock (_seen) seen = string.Join(", ", _seen.Select(a => $"{a.Kind} {a.Key}"));
                    throw new TimeoutException($"no {id} (#{count}); seen: {seen}\nlog:\n{_log.Text}");
                }
                await _signal.WaitAsync(TimeSpan.FromMilliseconds(200));
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _run.WaitAsync(Deadline);
            _stop.Dispose();
            _signal.Dispose();
        }
    }
}
