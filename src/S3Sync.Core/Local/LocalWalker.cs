using System.Runtime.CompilerServices;
using System.Text;
using S3Sync.Config;
using S3Sync.Planning;

namespace S3Sync.Local;

/// <summary>
/// Streams the files under a folder in S3 key order, holding one directory's listing per level, never the tree.
/// Siblings are sorted by name with '/' appended to folders: every key below folder "a" starts with "a/", so
/// "a-b" (0x2D) comes before everything in "a/" (0x2F), and "a0" after it, exactly as S3 lists them.
/// Symbolic links are skipped, kept as links or followed as the site's <see cref="SymlinkMode"/> says; a followed link
/// that dangles, loops or leaves local_path is refused.
/// </summary>
public sealed class LocalWalker(Site site, Action<WalkIssue>? report = null)
{
    public const int MaxKeyBytes = 1024;

    /// <summary>True when every folder could be read. Deletions are only safe when this holds.</summary>
    public bool Complete { get; private set; } = true;

    public async IAsyncEnumerable<LocalEntry> WalkAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        var root = new DirectoryInfo(site.LocalPath);
        if (!root.Exists)
        {
            Fail(site.LocalPath, File.Exists(site.LocalPath) ? "local_path is a file, not a folder" : "local_path does not exist (is the disk mounted?)");
            yield break;
        }

        var prefixBytes = Encoding.UTF8.GetByteCount(site.ListPrefix);
        // The stack holds folders to visit; a folder's children are pushed in reverse so they pop in order.
        var pending = new Stack<object>();
        // With symlinks: follow, each folder carries the real paths of the folders above it: a link to one of them is a loop.
        var rootReal = site.Symlinks == SymlinkMode.Follow ? Path.TrimEndingDirectorySeparator(root.ResolveLinkTarget(true)?.FullName ?? root.FullName) : "";
        pending.Push((root, "", rootReal));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var item = pending.Pop();
            if (item is LocalEntry file)
            {
                yield return file;
                continue;
            }
            var (dir, keyPrefix, real) = ((DirectoryInfo, string, string))item;
            List<(string SortKey, FileSystemInfo Info)> children;
            try
            {
                children = [];
                foreach (var info in dir.EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = 0, ReturnSpecialDirectories = false }))
                {
                    var name = info.Name;
                    // A link counts as a folder only when it is followed (its key sorts with the '/' then).
                    var isDir = info is DirectoryInfo && (site.Symlinks == SymlinkMode.Follow || !info.Attributes.HasFlag(FileAttributes.ReparsePoint));
                    children.Add((keyPrefix + name + (isDir ? "/" : ""), info));
                }
            }
            catch (DirectoryNotFoundException) when (keyPrefix.Length > 0)
            {
                // A folder below the root removed since its parent was listed (an rm -rf while the walk runs): its
                // files are gone, which the walk may say; it is not a folder it could not read. (The root itself
                // missing still fails the walk, so nothing is deleted.)
                continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
            {
                Fail(dir.FullName, e is UnauthorizedAccessException ? "cannot read folder: permission denied" : $"cannot read folder: {e.Message}");
                continue;
            }
            children.Sort((a, b) => KeyOrder.Instance.Compare(a.SortKey, b.SortKey));
            for (var i = children.Count - 1; i >= 0; i--)
            {
                var (key, info) = children[i];
                // The attribute comes with the directory listing; LinkTarget costs a readlink, so only links pay it.
                if (info.Attributes.HasFlag(FileAttributes.ReparsePoint) && info.LinkTarget is { } target)
                {
                    if (site.Symlinks == SymlinkMode.Skip)
                    {
                        report?.Invoke(new WalkIssue(info.FullName, $"skipped: symbolic link to {target} (symlinks: skip)", false) { IsLink = true });
                        continue;
                    }
                    if (site.Symlinks == SymlinkMode.Preserve)
                    {
                        if (!site.Filter.Includes(key) || prefixBytes + Encoding.UTF8.GetByteCount(key) > MaxKeyBytes) continue;
                        pending.Push(new LocalEntry(key, info.FullName, Encoding.UTF8.GetByteCount(target), info.LastWriteTimeUtc) { LinkTarget = target });
                        continue;
                    }
                    if (Follow(info, real, rootReal) is not { } final)
                        continue;
                    if (final is DirectoryInfo)
                    {
                        if (site.Filter.ExcludesAllBelow(key)) continue;
                        pending.Push((new DirectoryInfo(info.FullName), key, real + "\0" + final.FullName));
                        continue;
                    }
                    if (!site.Filter.Includes(key) || prefixBytes + Encoding.UTF8.GetByteCount(key) > MaxKeyBytes) continue;
                    var followed = (FileInfo)final;
                    if (FileFingerprint.IsSpecial(followed)) continue;
                    pending.Push(new LocalEntry(key, info.FullName, followed.Length, followed.LastWriteTimeUtc));
                    continue;
                }
                if (key.Contains('\uFFFD', StringComparison.Ordinal))
                {
                    report?.Invoke(new WalkIssue(info.FullName, "skipped: the name is not valid UTF-8, so it has no S3 key", false));
                    continue;
                }
                if (info is DirectoryInfo sub)
                {
                    if (site.Filter.ExcludesAllBelow(key)) continue; // everything below is excluded: not entered
                    pending.Push((sub, key, real.Length == 0 ? "" : real + "\0" + real[(real.LastIndexOf('\0') + 1)..] + "/" + sub.Name));
                    continue;
                }
                if (prefixBytes + Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
                {
                    report?.Invoke(new WalkIssue(info.FullName, $"skipped: its key would be longer than S3's {MaxKeyBytes} bytes", false));
                    continue;
                }
                if (!site.Filter.Includes(key)) continue;
                var fi = (FileInfo)info;
                try
                {
                    if (FileFingerprint.IsSpecial(fi))
                    {
                        report?.Invoke(new WalkIssue(fi.FullName, "skipped: not a regular file (a FIFO, socket or device)", false));
                        continue;
                    }
                    pending.Push(new LocalEntry(key, fi.FullName, fi.Length, fi.LastWriteTimeUtc));
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    // Deleted between the listing and its stat (an rm -rf while the walk runs): no reason to give up
                    // the walk (which made the full sync after a reload fail); its key is simply not on the local side.
                }
            }
        }
    }

    /// <summary>The final target of a link to follow, or null (reported) when it dangles, loops, or leaves local_path.</summary>
    /// <param name="ancestors">The real paths of the folders above, joined by NUL (the link's folder last).</param>
    private FileSystemInfo? Follow(FileSystemInfo link, string ancestors, string rootReal)
    {
        FileSystemInfo? final;
        try { final = link.ResolveLinkTarget(returnFinalTarget: true); }
        catch (IOException) { final = null; }
        string? why = null;
        if (final is null || !final.Exists) why = "it dangles or loops";
        else if (final.FullName != rootReal && !final.FullName.StartsWith(rootReal + "/", StringComparison.Ordinal)) why = $"its target {final.FullName} is outside local_path";
        else if (final is DirectoryInfo && ancestors.Split('\0').Any(a => a == final.FullName)) why = "it loops (it points at a folder above it)";
        if (why is null) return final;
        report?.Invoke(new WalkIssue(link.FullName, $"refused: symbolic link to {link.LinkTarget}: {why}", false) { IsLink = true });
        return null;
    }

    private void Fail(string path, string message)
    {
        Complete = false;
        report?.Invoke(new WalkIssue(path, message, true));
    }
}
