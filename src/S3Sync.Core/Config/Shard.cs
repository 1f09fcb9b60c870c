using System.Globalization;
using System.Text;

namespace S3Sync.Config;

/// <summary>
/// One part of a site for one of <see cref="Count"/> processes run side by side (<c>--shard K/N</c>, <c>shard: K/N</c>):
/// a path belongs to shard <c>FNV-1a(first path component) mod N</c>, a file at the root by its own name. Every key
/// under a top-level folder is in that folder's shard, so a shard walks and lists only its own folders, and deletes
/// only keys of its own. <see cref="Index"/> counts from 0, as Kubernetes' <c>JOB_COMPLETION_INDEX</c> and AWS Batch's
/// <c>AWS_BATCH_JOB_ARRAY_INDEX</c> do.
/// </summary>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>The most shards a site may be split into.</summary>
    public const int MaxCount = 10_000;

    /// <summary>Parses <c>K/N</c>; null with <paramref name="problem"/> when it is not one.</summary>
    public static Shard? Parse(string text, out string? problem)
    {
        problem = null;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !int.TryParse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            problem = $"'{text}' is not K/N (this process's shard K, counted from 0, of N; e.g. 0/4)";
            return null;
        }
        if (count is < 1 or > MaxCount)
        {
            problem = $"'{text}': N must be 1 to {MaxCount}";
            return null;
        }
        if (index >= count)
        {
            problem = $"'{text}': K counts from 0, so it must be 0 to {count - 1}";
            return null;
        }
        return new Shard(index, count);
    }

    /// <summary>True when <paramref name="relativePath"/> (a key relative to the site, or a folder ending in '/')
    /// belongs to this shard.</summary>
    public bool Owns(string relativePath) => Of(relativePath, Count) == Index;

    /// <summary>The shard of <paramref name="relativePath"/> among <paramref name="count"/>.</summary>
    public static int Of(string relativePath, int count)
    {
        var slash = relativePath.IndexOf('/', StringComparison.Ordinal);
        var top = slash < 0 ? relativePath : relativePath[..slash];
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(top))
        {
            hash ^= b;
            hash *= 16777619u;
        }
        return (int)(hash % (uint)count);
    }

    /// <summary>The shard's own state folder under state_dir: shards share no hash cache or ledger.</summary>
    public string StateFolderName => $"shard-{Index}-of-{Count}";

    public override string ToString() => $"{Index}/{Count}";
}
