using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using S3Sync.Config;

namespace S3Sync.Local;

/// <summary>
/// Streams the files under a folder in S3 key order, holding one directory's listing per level, never the tree.
/// Siblings are sorted by name with '/' appended to folders: every key below folder "a" starts with "a/", so
/// "a-b" (0x2D) comes before everything in "a/" (0x2F), and "a0" after it, exactly as S3 lists them.
/// <para>
/// Race-free: each folder is opened relative to its parent's handle with <c>O_NOFOLLOW|O_DIRECTORY</c> and checked
/// (device, inode) against the entry its parent listed, so a folder swapped for a symlink after the listing is never
/// entered; each file carries the identity it was listed with, which <see cref="LocalFile.OpenRead"/> checks before
/// reading. A name is used only when its bytes are valid UTF-8; a file or folder skipped for its name, its type or a
/// swap keeps its objects (<see cref="Keeps"/>). A restore's temporary files (<see cref="IsRestoreTemp"/>) are skipped
/// and their objects kept.
/// </para>
/// <para>
/// Symbolic links are skipped, kept as links or followed as the site's <see cref="SymlinkMode"/> says. A preserved
/// link's target is read with <c>readlinkat</c> on its folder's handle. A followed link is opened (by its folder's
/// handle, never by a path that could be swapped) and what the handle is decides: its real path must lie inside
/// local_path and, for a folder, it must not be one of the folders above (a loop); a followed file's entry then names
/// that real path and the target's identity, so the read is checked against the very file that was vetted.
/// </para>
/// <para>
/// Mount points: a folder on another device than its parent is recorded (<see cref="MountPoints"/>). A folder that
/// was a mount point at the last complete walk (<paramref name="knownMounts"/>) and is now an empty folder on its
/// parent's device is an unmounted file system, not a deleted tree: its objects are kept (<see cref="Keeps"/>) and it is listed in
/// <see cref="Unmounted"/>, which makes the planner refuse the deletions under it.
/// </para>
/// </summary>
public sealed class LocalWalker(Site site, Action<WalkIssue>? report = null, IReadOnlyCollection<string>? knownMounts = null)
{
    public const int MaxKeyBytes = 1024;

    /// <summary>Test seam: called with a folder's path after its parent listed it and just before it is opened.</summary>
    internal static readonly AsyncLocal<Action<string>?> BeforeOpenFolder = new();

    /// <summary>Test seam: called with an entry's path after its folder's readdir returned it and just before its stat.</summary>
    internal static readonly AsyncLocal<Action<string>?> BeforeStatEntry = new();

    private readonly HashSet<string> _kept = new(StringComparer.Ordinal);
    private readonly HashSet<string> _knownMounts = knownMounts is null ? [] : new(knownMounts, StringComparer.Ordinal);
    private readonly List<string> _mounts = [];
    private readonly List<string> _unmounted = [];

    /// <summary>True for a restore's walk of its target: its temporary files are listed (an interrupted restore's are
    /// removed). Otherwise (sync, verify, watch) they are skipped with a warning and their objects kept.</summary>
    public bool ListsRestoreTemps { get; init; }

    /// <summary>True when every folder could be read. Deletions are only safe when this holds.</summary>
    public bool Complete { get; private set; } = true;

    /// <summary>The folders (keys ending in '/') that are mount points: another device than their parent's.</summary>
    public IReadOnlyList<string> MountPoints => _mounts;

    /// <summary>Folders (keys ending in '/') that were mount points at the last walk and are not now.</summary>
    public IReadOnlyList<string> Unmounted => _unmounted;

    /// <summary>
    /// True when the object of this key (relative to the prefix) must not be deleted although the walk yielded no file
    /// for it: the file exists but was skipped (its name is not UTF-8, it is a FIFO), or it lies under a folder that
    /// could not be walked safely this time or whose file system is not mounted. Valid for keys the walk has passed.
    /// </summary>
    public bool Keeps(string key)
    {
        if (!ListsRestoreTemps && IsRestoreTemp(key)) return true;
        if (_kept.Count == 0) return false;
        if (_kept.Contains(key)) return true;
        for (var i = key.IndexOf('/', StringComparison.Ordinal); i >= 0; i = key.IndexOf('/', i + 1))
            if (_kept.Contains(key[..(i + 1)])) return true;
        return false;
    }

    /// <summary>True for a key whose last segment is a restore's temporary name (<see cref="TargetFolder.IsTempName"/>):
    /// never uploaded, and an object of that name (uploaded by an older version) is neither a backup to keep current nor
    /// one to delete blindly: it is left alone, as an excluded key is.</summary>
    public static bool IsRestoreTemp(string key) => TargetFolder.IsTempName(key[(key.LastIndexOf('/') + 1)..]);

    /// <summary>The identities of the folders from the root down to a folder (follow mode's loop check).</summary>
    private sealed record Ancestry(FileIdentity Identity, Ancestry? Parent)
    {
        public bool Contains(FileIdentity identity)
        {
            for (var a = this; a is not null; a = a.Parent)
                if (a.Identity == identity) return true;
            return false;
        }
    }

    /// <summary>A folder listed by its parent and not opened yet. <see cref="Followed"/>: reached through a link.</summary>
    private sealed record PendingFolder(FolderHandle Parent, byte[] Name, string Path, string Key, FileIdentity Listed, bool Followed, Ancestry? Ancestors, bool WasMount = false);

    private sealed record Child(byte[] Name, string Text, Posix.Statx Stat);

    private string _rootReal = "";

    public async IAsyncEnumerable<LocalEntry> WalkAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        if (!Directory.Exists(site.LocalPath))
        {
            Fail(site.LocalPath, File.Exists(site.LocalPath) ? "local_path is a file, not a folder" : "local_path does not exist (is the disk mounted?)");
            yield break;
        }
        var rootPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(site.LocalPath));
        if (rootPath.Length == 0) rootPath = "/";
        // local_path itself may be a link: the operator named it. Below it, only what symlinks: says is followed.
        var root = FolderHandle.Open(Posix.AtFdCwd, Posix.CString(rootPath), follow: true, out var rootErrno);
        if (root is null)
        {
            Fail(rootPath, rootErrno == Posix.EAccess ? "cannot read folder: permission denied" : $"cannot read folder: {Marshal.GetPInvokeErrorMessage(rootErrno)}");
            yield break;
        }
        var follow = site.Symlinks == SymlinkMode.Follow;
        if (follow) _rootReal = Posix.RealPath(root.Fd) ?? "";

        var prefixBytes = Encoding.UTF8.GetByteCount(site.ListPrefix);
        // The stack holds folders to visit; a folder's children are pushed in reverse so they pop in order.
        var pending = new Stack<object>();
        var open = new HashSet<FolderHandle> { root };
        try
        {
            List(root, rootPath, "", pending, prefixBytes, follow ? new Ancestry(root.Identity, null) : null, open);
            while (pending.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var item = pending.Pop();
                if (item is LocalEntry file)
                {
                    yield return file;
                    continue;
                }
                var folder = (PendingFolder)item;
                BeforeOpenFolder.Value?.Invoke(folder.Path);
                var handle = FolderHandle.Open(folder.Parent.Fd, folder.Name, follow: folder.Followed, out var errno);
                Release(folder.Parent, open);
                if (handle is null)
                {
                    switch (errno)
                    {
                        case Posix.ELoop or Posix.ENotDir when !folder.Followed:
                            Swapped(folder, "it became a symbolic link or a file");
                            break;
                        case Posix.ELoop or Posix.ENotDir or Posix.ENoEnt when folder.Followed:
                            Refused(folder.Path, folder.Key, "it dangles or loops");
                            break;
                        case Posix.ENoEnt:
                            // Removed since its parent was listed (an rm -rf while the walk runs): its files are gone,
                            // which the sync may act on; not a folder it could not read, so the walk stays complete.
                            break;
                        default:
                            Fail(folder.Path, errno == Posix.EAccess ? "cannot read folder: permission denied" : $"cannot read folder: {Marshal.GetPInvokeErrorMessage(errno)}");
                            break;
                    }
                    continue;
                }
                open.Add(handle);
                if (folder.Followed)
                {
                    // What the link leads to now, decided on the open handle: inside local_path, not a folder above.
                    if (FollowedLink.Outside(handle.Fd, _rootReal) is { } where)
                    {
                        Release(handle, open);
                        Refused(folder.Path, folder.Key, where);
                        continue;
                    }
                    if (folder.Ancestors!.Contains(handle.Identity))
                    {
                        Release(handle, open);
                        Refused(folder.Path, folder.Key, "it loops (it points at a folder above it)");
                        continue;
                    }
                }
                else if (handle.Identity != folder.Listed)
                {
                    Release(handle, open);
                    Swapped(folder, "it was replaced by another folder");
                    continue;
                }
                // folders: the folder itself, as stat'ed through the handle just opened (never by its name), before
                // its content: "a/" sorts before every "a/..." key.
                if (site.Folders && site.Filter.Includes(folder.Key) && prefixBytes + Encoding.UTF8.GetByteCount(folder.Key) <= MaxKeyBytes)
                    yield return new LocalEntry(folder.Key, folder.Path, 0, handle.Stat.MtimeUtc, handle.Identity)
                    {
                        Folder = FileMetadata.OfFolder(handle.Stat),
                        FolderCtimeNs = handle.Stat.CtimeSec * 1_000_000_000 + handle.Stat.CtimeNsec,
                    };
                List(handle, folder.Path, folder.Key, pending, prefixBytes, folder.Ancestors is null ? null : new Ancestry(handle.Identity, folder.Ancestors), open, folder.WasMount);
            }
        }
        finally
        {
            foreach (var handle in open) handle.Close();
        }
    }

    /// <summary>Lists one open folder and pushes its children (files as entries, folders as pending) in reverse key order.</summary>
    private void List(FolderHandle dir, string dirPath, string keyPrefix, Stack<object> pending, int prefixBytes, Ancestry? ancestors, HashSet<FolderHandle> open, bool wasMount = false)
    {
        List<(string SortKey, Child Child)> children;
        try
        {
            children = Read(dir, dirPath, keyPrefix);
        }
        catch (IOException e)
        {
            Fail(dirPath, $"cannot read folder: {e.Message}");
            Release(dir, open);
            return;
        }
        if (wasMount && children.Count == 0)
        {
            // A mount point at the last walk, now an empty folder on its parent's file system: the file system that
            // held its files is not mounted. Its objects are kept, and the planner refuses the deletions under it.
            _unmounted.Add(keyPrefix);
            _kept.Add(keyPrefix);
            report?.Invoke(new WalkIssue(dirPath, "was a mount point at the last sync and is now an empty folder on its parent's file system (is it mounted?); nothing under it is deleted", false));
            Release(dir, open);
            return;
        }
        children.Sort((a, b) => KeyOrder.Instance.Compare(a.SortKey, b.SortKey));
        for (var i = children.Count - 1; i >= 0; i--)
        {
            var (key, child) = children[i];
            var path = Path.Join(dirPath, child.Text);
            var type = child.Stat.Type;
            if (type != Posix.Directory && !ListsRestoreTemps && TargetFolder.IsTempName(child.Text))
            {
                // A restore's temporary file (one running now, or one killed): never uploaded; an object of that name
                // (an older version uploaded it) is left alone too (Keeps).
                report?.Invoke(new WalkIssue(path, "skipped: a temporary file of a restore (running, or interrupted: then delete it)", false));
                _kept.Add(key);
                continue;
            }
            if (type == Posix.SymbolicLink)
            {
                Link(dir, child, key, path, pending, prefixBytes, ancestors);
                continue;
            }
            if (type == Posix.Directory)
            {
                if (site.Filter.ExcludesAllBelow(key)) continue; // everything below is excluded: not entered
                var unmountedNow = false;
                if (child.Stat.Identity.Device != dir.Identity.Device) _mounts.Add(key);
                else unmountedNow = _knownMounts.Contains(key);
                dir.Retain();
                pending.Push(new PendingFolder(dir, child.Name, path, key, child.Stat.Identity, false, ancestors, unmountedNow));
                continue;
            }
            if (prefixBytes + Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
            {
                report?.Invoke(new WalkIssue(path, $"skipped: its key would be longer than S3's {MaxKeyBytes} bytes", false));
                continue;
            }
            if (!site.Filter.Includes(key)) continue;
            if (type != Posix.RegularFile)
            {
                report?.Invoke(new WalkIssue(path, "skipped: not a regular file (a FIFO, socket or device)", false) { IsSpecial = true });
                _kept.Add(key);
                continue;
            }
            pending.Push(new LocalEntry(key, path, (long)child.Stat.Size, child.Stat.MtimeUtc, child.Stat.Identity) { CtimeNs = child.Stat.CtimeSec * 1_000_000_000 + child.Stat.CtimeNsec });
        }
        Release(dir, open);
    }

    /// <summary>A symbolic link in a listing, handled as the site's <c>symlinks</c> says.</summary>
    private void Link(FolderHandle dir, Child child, string key, string path, Stack<object> pending, int prefixBytes, Ancestry? ancestors)
    {
        var target = Posix.ReadLink(dir.Fd, child.Name, out var targetValid);
        switch (site.Symlinks)
        {
            case SymlinkMode.Skip:
                report?.Invoke(new WalkIssue(path, $"skipped: symbolic link to {target ?? "?"} (symlinks: skip)", false) { IsLink = true });
                // Skipped by policy, not gone: the objects a run in another mode made of it (the link's own key, or
                // everything under it when it led to a folder) are kept, like excluded keys.
                _kept.Add(key);
                _kept.Add(key.TrimEnd('/') + "/");
                return;
            case SymlinkMode.Preserve:
                if (!site.Filter.Includes(key) || prefixBytes + Encoding.UTF8.GetByteCount(key) > MaxKeyBytes) return;
                if (target is null || !targetValid)
                {
                    report?.Invoke(new WalkIssue(path, target is null ? "skipped: its link target cannot be read" : "skipped: its link target is not valid UTF-8; its object is kept", false));
                    _kept.Add(key);
                    return;
                }
                pending.Push(new LocalEntry(key, path, Encoding.UTF8.GetByteCount(target), child.Stat.MtimeUtc) { LinkTarget = target });
                return;
        }
        // Follow: what the link names now, decided on a handle by the one check (FollowedLink, which watch's events use too).
        var followed = FollowedLink.Open(dir.Fd, child.Name, _rootReal);
        if (followed.Refusal is { } why)
        {
            Refused(path, key, why, target);
            return;
        }
        var stat = followed.Stat;
        // The listing sorted the link as a folder or a file by what it led to then; if that changed, its key would
        // be out of order.
        if ((stat.Type == Posix.Directory) != key.EndsWith('/'))
        {
            Refused(path, key.TrimEnd('/'), "it changed while the folder was walked", target);
            return;
        }
        if (stat.Type == Posix.Directory)
        {
            if (site.Filter.ExcludesAllBelow(key)) return;
            if (ancestors!.Contains(stat.Identity))
            {
                Refused(path, key, "it loops (it points at a folder above it)", target);
                return;
            }
            dir.Retain();
            pending.Push(new PendingFolder(dir, child.Name, path, key, stat.Identity, true, ancestors));
            return;
        }
        if (!site.Filter.Includes(key) || prefixBytes + Encoding.UTF8.GetByteCount(key) > MaxKeyBytes) return;
        if (stat.Type != Posix.RegularFile)
        {
            _kept.Add(key);
            return;
        }
        pending.Push(new LocalEntry(key, followed.RealPath!, (long)stat.Size, stat.MtimeUtc, stat.Identity) { CtimeNs = stat.CtimeSec * 1_000_000_000 + stat.CtimeNsec });
    }

    private unsafe List<(string SortKey, Child Child)> Read(FolderHandle dir, string dirPath, string keyPrefix)
    {
        var children = new List<(string, Child)>();
        var follow = site.Symlinks == SymlinkMode.Follow;
        while (true)
        {
            Marshal.SetLastPInvokeError(0);
            var d = Posix.readdir(dir.Dir);
            if (d is null)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != 0) throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
                return children;
            }
            var bytes = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(d + 19);
            if (bytes.SequenceEqual("."u8) || bytes.SequenceEqual(".."u8)) continue;
            var name = Posix.CString(bytes);
            BeforeStatEntry.Value?.Invoke(Path.Join(dirPath, FileNames.Lossy(bytes)));
            if (!Posix.TryStat(dir.Fd, name, out var stat, out var statErrno))
            {
                if (statErrno == Posix.ENoEnt) continue; // deleted since the listing
                Fail(Path.Join(dirPath, FileNames.Lossy(bytes)), $"cannot read: {Marshal.GetPInvokeErrorMessage(statErrno)}");
                continue;
            }
            // A link counts as a folder only when it is followed and leads to one (its key sorts with the '/' then).
            var isDir = stat.Type == Posix.Directory || (follow && stat.Type == Posix.SymbolicLink && Posix.IsDirectoryFollowing(dir.Fd, name));
            if (!FileNames.TryDecode(bytes, out var text))
            {
                var lossy = FileNames.Lossy(bytes);
                report?.Invoke(new WalkIssue(Path.Join(dirPath, lossy), $"skipped: the name is not valid UTF-8, so it has no S3 key (bytes {Convert.ToHexStringLower(bytes)}); objects that look like it are kept", false));
                _kept.Add(keyPrefix + lossy + (isDir ? "/" : ""));
                continue;
            }
            children.Add((keyPrefix + text + (isDir ? "/" : ""), new Child(name, text!, stat)));
        }
    }

    private void Swapped(PendingFolder folder, string what)
    {
        report?.Invoke(new WalkIssue(folder.Path, $"skipped: {what} between the listing and the opening (links are not followed); its objects are kept", false));
        _kept.Add(folder.Key);
    }

    private void Refused(string path, string key, string why, string? target = null)
    {
        report?.Invoke(new WalkIssue(path, $"refused: symbolic link{(target is null ? "" : " to " + target)}: {why}", false) { IsLink = true });
    }

    private static void Release(FolderHandle handle, HashSet<FolderHandle> open)
    {
        if (handle.Release()) open.Remove(handle);
    }

    private void Fail(string path, string message)
    {
        Complete = false;
        report?.Invoke(new WalkIssue(path, message, true));
    }

    /// <summary>An open folder (a DIR* and its handle), closed when its listing and every child's opening are done.</summary>
    private sealed class FolderHandle
    {
        private int _users = 1;

        private FolderHandle(nint dir, int fd, Posix.Statx stat)
        {
            Dir = dir;
            Fd = fd;
            Stat = stat;
        }

        public nint Dir { get; private set; }
        public int Fd { get; }
        public FileIdentity Identity => Stat.Identity;

        /// <summary>What <c>statx</c> said of the open folder.</summary>
        public Posix.Statx Stat { get; }

        public static unsafe FolderHandle? Open(int parentFd, byte[] name, bool follow, out int errno)
        {
            int fd;
            fixed (byte* p = name)
                fd = Posix.openat(parentFd, p, Posix.ORdOnly | Posix.ODirectory | Posix.OCloExec | (follow ? 0 : Posix.ONoFollow), 0);
            if (fd < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return null;
            }
            if (!Posix.TryStat(fd, out var stat))
            {
                errno = Marshal.GetLastPInvokeError();
                Posix.close(fd);
                return null;
            }
            var dir = Posix.fdopendir(fd);
            if (dir == 0)
            {
                errno = Marshal.GetLastPInvokeError();
                Posix.close(fd);
                return null;
            }
            errno = 0;
            return new FolderHandle(dir, fd, stat);
        }

        public void Retain() => _users++;

        /// <summary>True when this was the last user and the handle is closed.</summary>
        public bool Release()
        {
            if (--_users != 0) return false;
            Close();
            return true;
        }

        public void Close()
        {
            if (Dir == 0) return;
            Posix.closedir(Dir);
            Dir = 0;
        }
    }
}
