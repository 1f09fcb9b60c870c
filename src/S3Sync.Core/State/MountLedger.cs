using System.Security.Cryptography;
using System.Text;
using S3Sync.Config;

namespace S3Sync.State;

/// <summary>
/// Remembers, per local_path, which folders under it were mount points (another device than their parent) at the last
/// complete walk: one small file per local_path under <c>state_dir/mounts/</c>, a folder key a line. The walk
/// (<see cref="Local.LocalWalker"/>) is told them, so a sub-mount that is not mounted this time (an empty folder on
/// the parent's file system) is seen for what it is and nothing under it is deleted. A folder held so stays recorded
/// until it is a mount point again, holds files, or is removed.
/// </summary>
public sealed class MountLedger(string directory)
{
    private string PathFor(Site site) =>
        Path.Combine(directory, "mounts", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(site.LocalPath))))[..24]);

    /// <summary>The folders (keys ending in '/') recorded as mount points; empty when none or unreadable.</summary>
    public IReadOnlyCollection<string> Recall(Site site)
    {
        return StateFolder.ReadText(PathFor(site)) is { } text ? [.. text.Split('\n').Where(l => l.EndsWith('/'))] : [];
    }

    /// <summary>Records the mount points of a complete walk. False when the state folder cannot be written.</summary>
    public bool Record(Site site, IEnumerable<string> folders)
    {
        var path = PathFor(site);
        var lines = folders.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        try
        {
            if (lines.Count == 0)
            {
                if (File.Exists(path)) File.Delete(path);
                return true;
            }
            StateFolder.WriteText(path, string.Concat(lines.Select(l => l + "\n")));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
