using System.Runtime.InteropServices;
using System.Text;

namespace S3Sync.Watching;

/// <summary>
/// Linux inotify over a folder tree: one watch per folder, added for folders created or moved in later. A new folder
/// is watched first and scanned second, so a file written into it at once (<c>mkdir -p a/b/c; echo x &gt; a/b/c/f</c>)
/// is either seen by the scan or by its own event, never missed. One thread blocks in <c>poll</c> on the inotify
/// descriptor and a wake-up pipe: an idle tree costs no CPU.
/// </summary>
public sealed class InotifySource : IChangeSource
{
    private const uint FolderMask = Native.InModify | Native.InCloseWrite | Native.InMovedFrom | Native.InMovedTo | Native.InCreate
        | Native.InDelete | Native.InDeleteSelf | Native.InMoveSelf | Native.InOnlyDir | Native.InExclUnlink;

    private readonly string _root;
    private readonly TimeProvider _time;
    private readonly Dictionary<int, string> _paths = [];
    private readonly Dictionary<string, int> _watches = new(StringComparer.Ordinal);
    private readonly HashSet<uint> _restoreCookies = [];

    /// <summary>A folder's IN_MOVED_FROM waiting for its IN_MOVED_TO (the same cookie, next in the queue): the pair is a
    /// move within the tree (<see cref="ChangeKind.Moved"/>); anything else first makes it a removal, as it always was.
    /// A file's rename stays a removal and a new file (an editor's save by rename must not cost a full sync).</summary>
    private (uint Cookie, string Path, bool IsDir)? _movedFrom;
    private readonly object _gate = new();
    private int _fd = -1, _wakeRead = -1, _wakeWrite = -1;
    private int _rootWatch = -1;
    private Local.FileIdentity? _rootIdentity;
    private int _watchCount;
    private Thread? _thread;
    private Action<ChangeEvent> _sink = _ => { };
    private volatile bool _limitReached, _rootGone, _stopping;

    private readonly bool _recursive;
    private readonly Func<string, bool>? _skipFolder;

    /// <param name="recursive">False watches the folder alone (the config file's folder), not the folders below it.</param>
    /// <param name="skipFolder">Folders not to watch, nor anything below them, by their path relative to the root
    /// with a trailing '/' (the site's <see cref="Config.PathFilter.ExcludesAllBelow"/>).</param>
    public InotifySource(string root, TimeProvider? time = null, bool recursive = true, Func<string, bool>? skipFolder = null)
    {
        _recursive = recursive;
        _skipFolder = skipFolder;
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        _time = time ?? TimeProvider.System;
    }

    /// <summary>A site's folder, without the folders its exclusions leave out whole.</summary>
    /// <summary>A site's source, stamping events with <paramref name="time"/>: the watch's own clock, so an event's
    /// timestamp and the schedule's deadlines are on one clock.</summary>
    public static InotifySource ForSite(Config.Site site, TimeProvider? time = null) => new(site.LocalPath, time, skipFolder: site.Filter.ExcludesAllBelow);

    public bool Healthy => !_limitReached && !_rootGone;

    /// <summary>Read without the lock: the scan of a big new folder holds it while its events wait for room.</summary>
    public int WatchCount => Volatile.Read(ref _watchCount);

    /// <summary>Test seam: replaces <c>inotify_add_watch</c> (a test makes it fail with ENOSPC, the watch limit, without
    /// changing the machine's <c>fs.inotify.max_user_watches</c>). Returns the watch descriptor, or -1 with the errno.</summary>
    internal Func<int, string, uint, (int Wd, int Errno)>? AddWatch { get; set; }

    /// <summary>Starts watching; may be called again after it threw (inotify could not start, the root could not be
    /// watched): what was set up is reused.</summary>
    public unsafe void Start(Action<ChangeEvent> sink)
    {
        _sink = sink;
        if (_fd < 0)
        {
            _fd = Native.inotify_init1(Native.InNonBlock | Native.InCloExec);
            if (_fd < 0) throw new IOException($"inotify_init1 failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())} (is fs.inotify.max_user_instances reached?)");
        }
        if (_wakeRead < 0)
        {
            var pipe = stackalloc int[2];
            if (Native.pipe2(pipe, Native.OCloExec | Native.ONonBlock) != 0) throw new IOException("pipe2 failed");
            (_wakeRead, _wakeWrite) = (pipe[0], pipe[1]);
        }
        lock (_gate) _rootWatch = AddRoot();
        if (_rootWatch < 0 && !_limitReached) throw new IOException($"cannot watch {_root}");
        if (_thread is not null) return;
        _thread = new Thread(Loop) { IsBackground = true, Name = "inotify " + _root };
        _thread.Start();
    }

    public void Rewatch()
    {
        _limitReached = false;
        lock (_gate)
        {
            if (!_rootGone && Native.FolderIdentity(_root) == _rootIdentity)
            {
                AddTree(_root, scan: false);
                return;
            }
            // The root was deleted, moved or replaced: every watch is of the old folder (its paths name folders that
            // are elsewhere now). Dropped, and the folder now at the root's path is watched afresh.
            foreach (var wd in _paths.Keys) Native.inotify_rm_watch(_fd, wd);
            _paths.Clear();
            _watches.Clear();
            _restoreCookies.Clear();
            Volatile.Write(ref _watchCount, 0);
            _rootWatch = AddRoot();
            if (_rootWatch < 0)
                throw new IOException($"cannot watch {_root}: " + (_limitReached ? "fs.inotify.max_user_watches is reached" : Directory.Exists(_root) ? "inotify_add_watch failed" : "it does not exist"));
            _rootGone = false;
            // Under the lock, so after every event of the old watches and before any of the new ones.
            Emit(ChangeKind.Rearmed, _root);
        }
    }

    /// <summary>Watches the root's tree and remembers which folder the root is (device, inode).</summary>
    private int AddRoot()
    {
        _rootIdentity = Native.FolderIdentity(_root);
        return AddTree(_root, scan: false);
    }

    /// <summary>Adds watches on a folder and every folder below it. With <paramref name="scan"/>, every file found is
    /// reported as <see cref="ChangeKind.Found"/> (it may still be open; its close event will follow if so).</summary>
    private int AddTree(string top, bool scan)
    {
        var rootWd = -1;
        var pending = new Stack<string>();
        pending.Push(top);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            if (_skipFolder is not null && dir != _root && _skipFolder(Path.GetRelativePath(_root, dir) + "/")) continue;
            var mask = FolderMask | (dir == _root ? 0 : Native.InDontFollow);
            var (wd, errno) = AddWatch is { } seam ? seam(_fd, dir, mask) : (Native.inotify_add_watch(_fd, dir, mask), Marshal.GetLastPInvokeError());
            if (wd < 0)
            {
                if (errno == Native.ENoSpc)
                {
                    if (!_limitReached)
                    {
                        _limitReached = true;
                        Emit(ChangeKind.WatchLimit, dir, "fs.inotify.max_user_watches is reached; changes below this folder are not seen until the next rescan (raise it with sysctl)");
                    }
                    return rootWd;
                }
                if (errno is not (2 or 20)) // ENOENT, ENOTDIR: gone or replaced meanwhile
                    Emit(ChangeKind.Problem, dir, $"cannot watch folder: {Marshal.GetPInvokeErrorMessage(errno)}");
                continue;
            }
            if (dir == top) rootWd = wd;
            if (_paths.TryGetValue(wd, out var old) && old != dir) _watches.Remove(old);
            _paths[wd] = dir;
            _watches[dir] = wd;
            Volatile.Write(ref _watchCount, _watches.Count);
            // A folder found by the scan of a new tree is a change of its own (its marker, for folders: true).
            if (scan) Emit(ChangeKind.Found, dir + "/");
            IEnumerable<FileSystemInfo> children;
            try
            {
                children = new DirectoryInfo(dir).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0 }).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var child in children)
            {
                if (child.LinkTarget is not null) continue;
                if (child is DirectoryInfo) { if (_recursive) pending.Push(child.FullName); }
                else if (scan) Emit(ChangeKind.Found, child.FullName);
            }
        }
        return rootWd;
    }

    private void RemoveTree(string top)
    {
        var below = top + "/";
        foreach (var (path, wd) in _watches.Where(p => p.Key == top || p.Key.StartsWith(below, StringComparison.Ordinal)).ToList())
        {
            Native.inotify_rm_watch(_fd, wd);
            _watches.Remove(path);
            _paths.Remove(wd);
        }
        Volatile.Write(ref _watchCount, _watches.Count);
    }

    private void Emit(ChangeKind kind, string path, string? detail = null) => _sink(new ChangeEvent(kind, path, _time.GetTimestamp(), detail));

    private unsafe void Loop()
    {
        var buffer = new byte[64 * 1024];
        var fds = stackalloc Native.PollFd[2];
        while (!_stopping)
        {
            fds[0] = new Native.PollFd { Fd = _fd, Events = Native.PollIn };
            fds[1] = new Native.PollFd { Fd = _wakeRead, Events = Native.PollIn };
            var ready = Native.poll(fds, 2, -1);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == Native.EIntr) continue;
                Emit(ChangeKind.Problem, _root, $"poll failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
                return;
            }
            if (_stopping || (fds[1].REvents & Native.PollIn) != 0) return;
            while (true)
            {
                nint n;
                fixed (byte* p = buffer) n = Native.read(_fd, p, buffer.Length);
                if (n <= 0) break;
                lock (_gate) Parse(buffer.AsSpan(0, (int)n));
            }
        }
    }

    private void Parse(ReadOnlySpan<byte> data)
    {
        var offset = 0;
        while (offset + 16 <= data.Length)
        {
            var wd = MemoryMarshal.Read<int>(data[offset..]);
            var mask = MemoryMarshal.Read<uint>(data[(offset + 4)..]);
            var cookie = MemoryMarshal.Read<uint>(data[(offset + 8)..]);
            var length = (int)MemoryMarshal.Read<uint>(data[(offset + 12)..]);
            var nameBytes = data.Slice(offset + 16, length);
            var end = nameBytes.IndexOf((byte)0);
            offset += 16 + length;
            // Not valid UTF-8: no S3 key (the walk skips it too); the same rule as the walk's, from the bytes.
            if (!Local.FileNames.TryDecode(end >= 0 ? nameBytes[..end] : nameBytes, out var name)) continue;
            Handle(wd, mask, cookie, name!);
        }
        // The kernel queues a rename's two events together: one left alone at the end of a read is a move out of the tree.
        FlushMovedFrom();
    }

    private void FlushMovedFrom()
    {
        if (_movedFrom is not { } from) return;
        _movedFrom = null;
        if (!from.IsDir)
        {
            Emit(ChangeKind.Removed, from.Path);
            return;
        }
        RemoveTree(from.Path);
        Emit(ChangeKind.FolderRemoved, from.Path);
    }

    private void Handle(int wd, uint mask, uint cookie, string name)
    {
        if ((mask & Native.InQOverflow) != 0)
        {
            Emit(ChangeKind.Overflow, _root, "the kernel's inotify queue overflowed (fs.inotify.max_queued_events); events were lost");
            return;
        }
        if (!_paths.TryGetValue(wd, out var dir)) return;
        if ((mask & Native.InIgnored) != 0)
        {
            _paths.Remove(wd);
            if (_watches.TryGetValue(dir, out var current) && current == wd) _watches.Remove(dir);
            Volatile.Write(ref _watchCount, _watches.Count);
            if (wd == _rootWatch) RootGone("the folder was removed");
            return;
        }
        if (wd == _rootWatch && (mask & (Native.InDeleteSelf | Native.InMoveSelf | Native.InUnmount)) != 0)
        {
            RootGone((mask & Native.InUnmount) != 0 ? "the file system was unmounted" : "the folder was deleted or moved");
            return;
        }
        if (name.Length == 0) return;
        var path = dir + "/" + name;
        var isDir = (mask & Native.InIsDir) != 0;
        if (_movedFrom is { } from && (mask & Native.InMovedTo) != 0 && cookie == from.Cookie && (isDir == from.IsDir))
        {
            // A rename within the tree: the old path's watches go, the new path is watched (its files are not scanned
            // as new: the watcher syncs a move by content, server-side).
            _movedFrom = null;
            if (isDir)
            {
                RemoveTree(from.Path);
                AddTree(path, scan: false);
            }
            Emit(ChangeKind.Moved, path, from.Path);
            return;
        }
        FlushMovedFrom();
        if ((mask & Native.InMovedFrom) != 0 && cookie != 0 && _recursive && isDir)
        {
            _movedFrom = (cookie, path, isDir);
            return;
        }
        if (isDir && !_recursive)
        {
            Emit(ChangeKind.Closed, path);
            return;
        }
        if (isDir)
        {
            if ((mask & (Native.InCreate | Native.InMovedTo)) != 0) AddTree(path, scan: true);
            else if ((mask & Native.InMovedFrom) != 0)
            {
                RemoveTree(path);
                Emit(ChangeKind.FolderRemoved, path);
            }
            // IN_DELETE of a folder: every file below it reported its own deletion first; the folder's own removal
            // (its marker, for folders: true) is reported under its key with a '/'.
            else if ((mask & Native.InDelete) != 0) Emit(ChangeKind.Removed, path + "/");
            return;
        }
        // A rename reports IN_MOVED_FROM then IN_MOVED_TO with one cookie: a file renamed from a restore's temporary
        // name is a restored file (a few cookies are remembered; a pair is never far apart in the queue).
        if ((mask & Native.InMovedFrom) != 0 && Local.TargetFolder.IsTempName(name))
        {
            if (_restoreCookies.Count >= 64) _restoreCookies.Clear();
            _restoreCookies.Add(cookie);
        }
        if ((mask & Native.InCloseWrite) != 0) Emit(ChangeKind.Closed, path);
        else if ((mask & Native.InMovedTo) != 0) Emit(_restoreCookies.Remove(cookie) ? ChangeKind.Restored : ChangeKind.Closed, path);
        else if ((mask & Native.InModify) != 0) Emit(ChangeKind.Modified, path);
        else if ((mask & (Native.InDelete | Native.InMovedFrom)) != 0) Emit(ChangeKind.Removed, path);
        // IN_CREATE of a symbolic link is all there is of it (no write, no close): a change of its own, for the sites
        // that keep links (symlinks: preserve); the others skip it as the walk does. Sent once quiet for watch_interval,
        // not at once: `ln -sfn` makes the new link under a temporary name and renames it over the old one at once,
        // and the rename (a removal of the temporary name) then drops its upload instead of racing it, so no object is
        // left at the temporary key.
        else if ((mask & Native.InCreate) != 0 && IsLink(path)) Emit(ChangeKind.Modified, path);
        // IN_CREATE of a file: its IN_CLOSE_WRITE (or, for a writer that never closes, IN_MODIFY) follows.
    }

    private static bool IsLink(string path)
    {
        try { return new FileInfo(path).LinkTarget is not null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private void RootGone(string why)
    {
        if (_rootGone) return;
        _rootGone = true;
        Emit(ChangeKind.RootGone, _root, why);
    }

    public unsafe void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        if (_wakeWrite >= 0)
        {
            byte b = 1;
            Native.write(_wakeWrite, &b, 1);
        }
        _thread?.Join();
        foreach (var fd in new[] { _fd, _wakeRead, _wakeWrite }) if (fd >= 0) Native.close(fd);
        _fd = _wakeRead = _wakeWrite = -1;
    }
}
