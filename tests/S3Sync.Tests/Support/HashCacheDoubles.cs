using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.State;

namespace S3Sync.Tests.Support;

/// <summary>An hour ahead, so files written a moment ago are past the hash cache's racy window.</summary>
public sealed class LaterClock : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow.AddHours(1);
}

/// <summary>Hashes for real and counts how many files it had to read.</summary>
public sealed class CountingDigests : IDigestSource
{
    private int _reads;
    public int Reads => _reads;

    /// <summary>The keys read, with the part sizes asked for (for a failure's message).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Read { get; } = new();

    public Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        Read.Enqueue($"{entry.Key} [{string.Join(",", extraPartSizes)}]");
        return DirectDigestSource.Instance.GetAsync(entry, extraPartSizes, cancellationToken);
    }
}

/// <summary>Reads the hash cache's database directly, as a test checks what it holds.</summary>
public static class HashCacheFile
{
    /// <summary>How many rows the cache in <paramref name="stateDir"/> holds, every site together.</summary>
    public static long Rows(string stateDir)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(stateDir, S3Sync.State.HashCache.FileName)};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var count = new Microsoft.Data.Sqlite.SqliteCommand("SELECT COUNT(*) FROM digests", db);
        return Convert.ToInt64(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Per path (every site), how many bytes the row's whole-file MD5 column holds: 16, or 0 when only part
    /// MD5s are known.</summary>
    public static Dictionary<string, long> Md5Lengths(string stateDir)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(stateDir, S3Sync.State.HashCache.FileName)};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var select = new Microsoft.Data.Sqlite.SqliteCommand("SELECT path, length(md5) FROM digests", db);
        using var reader = select.ExecuteReader();
        var lengths = new Dictionary<string, long>();
        while (reader.Read()) lengths[reader.GetString(0)] = reader.GetInt64(1);
        return lengths;
    }
}
