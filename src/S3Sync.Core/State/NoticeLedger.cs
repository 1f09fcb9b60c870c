using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using S3Sync.Config;

namespace S3Sync.State;

/// <summary>
/// Remembers, per site, the counts behind the per-run summary warnings (symbolic links skipped, special files skipped)
/// so each is written once per change of its count, not into every cron mail: one small file per site under
/// <c>state_dir/notices/</c>, a <c>kind count</c> pair a line. A file that is missing, unreadable, not a regular file,
/// too big or not in that form is no memory at all: the warning is written (and the file replaced), never a crash.
/// </summary>
public sealed class NoticeLedger(string directory)
{
    private string PathFor(Site site) =>
        Path.Combine(directory, "notices", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(site.Name + "\n" + Path.GetFullPath(site.LocalPath))))[..24]);

    /// <summary>True when <paramref name="count"/> differs from the count recorded for this kind at the last run (or
    /// none is known); records the new one unless <paramref name="record"/> is false (a dry run changes nothing).</summary>
    public bool Changed(Site site, string kind, int count, bool record = true)
    {
        var path = PathFor(site);
        var known = Read(path);
        if (known.TryGetValue(kind, out var last) && last == count) return false;
        if (!record) return true;
        known[kind] = count;
        try
        {
            StateFolder.WriteText(path, string.Concat(known.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key} {k.Value.ToString(CultureInfo.InvariantCulture)}\n")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not remembered: the warning comes again next run, which is the safe side.
        }
        return true;
    }

    private static Dictionary<string, int> Read(string path)
    {
        var known = new Dictionary<string, int>(StringComparer.Ordinal);
        if (StateFolder.ReadText(path) is not { } text) return known;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length != 2 || parts[0].Length is 0 or > 32 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return [];
            known[parts[0]] = n;
        }
        return known;
    }
}
