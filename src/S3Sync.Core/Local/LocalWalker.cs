using System.Runtime.CompilerServices;
using System.Text;
using S3Sync.Config;
using S3Sync.Planning;

namespace S3Sync.Local;

/// <summary>
/// Streams the files under a folder in S3 key order, holding one directory's listing per level, never the tree.
/// Siblings are sorted by name with '/' appended to folders: every key below folder "a" starts with "a/", so
/// "a-b" (0x2D) comes before everything in "a/" (0x2F), and "a0" after it, exactly as S3 lists them.
/// Symlinks are never followed; they are reported and skipped.
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
        pending.Push((root, ""));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var item = pending.Pop();
            if (item is LocalEntry file)
            {
                yield return file;
                continue;
            }
            var (dir, keyPrefix) = ((DirectoryInfo, string))item;
            List<(string SortKey, FileSystemInfo Info)> children;
            try
            {
                children = [];
                foreach (var info in dir.EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = 0, ReturnSpecialDirectories = false }))
                {
                    var name = info.Name;
                    var isDir = info is DirectoryInfo;
                    children.Add((keyPrefix + name + (isDir ? "/" : ""), info));
                }
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
                if (info.Attributes.HasFlag(FileAttributes.ReparsePoint) && info.LinkTarget is not null)
                {
                    report?.Invoke(new WalkIssue(info.FullName, $"skipped: symbolic link to {info.LinkTarget} (links are not followed)", false));
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
                    pending.Push((sub, key));
                    continue;
                }
                if (prefixBytes + Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
                {
                    report?.Invoke(new WalkIssue(info.FullName, $"skipped: its key would be longer than S3's {MaxKeyBytes} bytes", false));
                    continue;
                }
                if (!site.Filter.Includes(key)) continue;
                var fi = (FileInfo)info;
                if (FileFingerprint.IsSpecial(fi))
                {
                    report?.Invoke(new WalkIssue(fi.FullName, "skipped: not a regular file (a FIFO, socket or device)", false));
                    continue;
                }
                pending.Push(new LocalEntry(key, fi.FullName, fi.Length, fi.LastWriteTimeUtc));
            }
        }
    }

    private void Fail(string path, string message)
    {
        Complete = false;
        report?.Invoke(new WalkIssue(path, message, true));
    }
}
