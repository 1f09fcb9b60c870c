using System.Text.RegularExpressions;

namespace S3Sync.Config;

/// <summary>Log levels of the seed's <c>loglevel</c> key.</summary>
public enum LogVerbosity { Trace, Debug, Info, Warn, Error, Fatal, Panic }

/// <summary>The whole resolved configuration: every default filled in, every value checked.</summary>
public sealed record SyncConfig
{
    public required string SourceFile { get; init; }
    public LogVerbosity LogLevel { get; init; } = LogVerbosity.Info;
    public int UploadWorkers { get; init; } = Defaults.UploadWorkers;

    /// <summary><c>upload_workers</c> or <c>--workers</c> was given: requests in flight are held at that level (backing
    /// off on throttling only). Otherwise they find their own level from <see cref="Defaults.UploadWorkers"/> up to
    /// <see cref="Defaults.ConcurrencyCeiling"/> (<see cref="Remote.AdaptiveConcurrency"/>).</summary>
    public bool WorkersFixed { get; init; }

    /// <summary>The workers of a transfer pool: the fixed level, or the adaptive limit's ceiling.</summary>
    public int TransferWorkers => WorkersFixed ? UploadWorkers : Math.Max(UploadWorkers, Defaults.ConcurrencyCeiling);

    public int UploadQueueBuffer { get; init; }
    public int WatchInterval { get; init; } = Defaults.WatchIntervalMs;
    public int S3OpsRetries { get; init; } = Defaults.S3OpsRetries;

    /// <summary>Seconds one S3 request may take (<c>request_timeout</c>, <c>--timeout</c>); null: the default.</summary>
    public int? RequestTimeout { get; init; }
    public int RescanInterval { get; init; } = Defaults.RescanIntervalSeconds;
    public int? HttpPort { get; init; }
    public string HttpAddress { get; init; } = "127.0.0.1";
    public string? StateDir { get; init; }

    /// <summary>This process's part of every site (<c>shard: K/N</c>, <c>--shard</c>), or null for the whole of each.</summary>
    public Shard? Shard { get; init; }

    /// <summary>Bytes per second for all transfers of the process together (<c>bandwidth_limit</c>); 0: no limit.</summary>
    public long BandwidthLimit { get; init; }
    public required IReadOnlyList<Site> Sites { get; init; }
}

/// <summary>Defaults shared by the loader, the ad-hoc command line and the README.</summary>
public static class Defaults
{
    /// <summary>32, from measuring (bench/): on the local Ceph, W1 (10,000 small files) took a median of 12.8 s with 32
    /// workers against 16.5 s with the seed's 10 (more requests in flight hide each PUT's latency; more so against a
    /// remote S3). Memory does not grow with it: <see cref="UploadBufferBytes"/> bounds the file data held.</summary>
    public const int UploadWorkers = 32;

    /// <summary>The most requests in flight to one endpoint when <c>upload_workers</c> is not set: the adaptive limit
    /// starts at <see cref="UploadWorkers"/> and grows while the server keeps answering (s5cmd runs 256 workers).</summary>
    public const int ConcurrencyCeiling = 256;

    /// <summary>The most upload workers <c>upload_workers</c> and <c>--workers</c> accept: past this, threads and
    /// buffers cost memory for no speed (an unbounded --workers once grew to 19.6 GB).</summary>
    public const int MaxUploadWorkers = 1024;

    /// <summary>
    /// Seconds one S3 request may take (headers and whole body; a second more per MiB sent), the <c>--timeout</c> flag
    /// and <c>request_timeout</c>. 30: a request to the local Ceph takes milliseconds and to AWS well under a second,
    /// while a request and its retries (3 deadlines at most) then end within 90 s, so a server that stalls or never
    /// answers fails the run in well under the 2 minutes a cron operator should wait (docs/reliability.md).
    /// </summary>
    public const int RequestTimeoutSeconds = 30;

    /// <summary>The longest <c>request_timeout</c> accepted (an hour).</summary>
    public const int MaxRequestTimeoutSeconds = 3600;

    /// <summary>File data the uploader's workers may hold in buffers at once (ten 8 MiB parts).</summary>
    public const long UploadBufferBytes = 80L * 1024 * 1024;
    public const int WatchIntervalMs = 1000;
    public const int S3OpsRetries = 5;
    public const int RescanIntervalSeconds = 3600;
    public const string StorageClass = "STANDARD";
    public const string DefaultRegion = "us-east-1";
}

/// <summary>Credentials given in the configuration file. <see cref="ToString"/> never shows the secret.</summary>
public sealed record StaticCredentials(string AccessKey, string SecretKey)
{
    public override string ToString() => $"{AccessKey[..Math.Min(4, AccessKey.Length)]}****";

    /// <summary>Records print every property; this one must not.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("AccessKey = ").Append(ToString());
        return true;
    }
}

/// <summary>
/// One local folder mirrored to one bucket prefix. <see cref="Prefix"/> is empty for the bucket root,
/// otherwise it has no leading or trailing slash; keys are <c>Prefix + "/" + relative path</c>.
/// Equality is structural over every effective value (filters and header rules by their patterns, the SSE-C key by
/// its content, not its file's path): a reload keeps running the sites that are equal to the running ones.
/// </summary>
public sealed record Site
{
    public required string Name { get; init; }
    public required string LocalPath { get; init; }
    public required string Bucket { get; init; }
    public string Prefix { get; init; } = "";
    public string? Region { get; init; }
    public string? Endpoint { get; init; }
    public bool ForcePathStyle { get; init; }
    public bool RetireDeleted { get; init; }

    /// <summary>Create the bucket when it does not exist (<c>create_bucket</c>, <c>--create-bucket</c>), before the
    /// first listing of a sync or watch. Off by default: a typo in a bucket name must fail, not make a new bucket.</summary>
    public bool CreateBucket { get; init; }
    public string StorageClass { get; init; } = Defaults.StorageClass;
    public StaticCredentials? Credentials { get; init; }
    public int WatchInterval { get; init; } = Defaults.WatchIntervalMs;
    public DeleteLimit MaxDelete { get; init; } = DeleteLimit.Default;
    public PathFilter Filter { get; init; } = PathFilter.All;
    public SymlinkMode Symlinks { get; init; } = SymlinkMode.Skip;

    /// <summary>How <c>watch</c> sees changes under local_path (<c>watch_mode</c>).</summary>
    public WatchMode WatchMode { get; init; } = WatchMode.Auto;

    /// <summary>Each folder is kept as a <c>key/</c> marker object holding its mode, owner and mtime, empty folders
    /// included (<c>folders</c>; the configuration's default is true, <see cref="ConfigLoader"/> sets it); false leaves
    /// keys ending in '/' alone, as before.</summary>
    public bool Folders { get; init; }

    /// <summary>Mode, owner and mtime are stored with every object and compared (<c>metadata</c>, default true);
    /// false (a website: <c>--no-metadata</c>) stores and compares content only, so a touch or chmod writes nothing.</summary>
    public bool Metadata { get; init; } = true;

    public Encryption Encryption { get; init; } = Encryption.None;

    /// <summary>The canned ACL sent with every upload and copy (<c>acl</c>); null: none is sent (the bucket's default).</summary>
    public string? Acl { get; init; }
    public HeaderRules Headers { get; init; } = HeaderRules.None;

    /// <summary>The profile of <c>~/.aws/config</c> whose credentials the site uses (<c>profile</c>, <c>--profile</c>); null: the SDK's chain.</summary>
    public string? Profile { get; init; }

    /// <summary>The prefix in the same bucket where a run saves what it deletes or overwrites (<c>backup_path</c>,
    /// <c>--backup-path</c>), one folder per run; null: nothing is saved. Never overlaps a site's prefix.</summary>
    public string? BackupPath { get; init; }

    /// <summary>The storage class of backup copies (<c>backup_storage_class</c>); null: the object's own.</summary>
    public string? BackupStorageClass { get; init; }

    /// <summary>How long run folders under <see cref="BackupPath"/> are kept (<c>backup_keep</c>); null: for ever.</summary>
    public TimeSpan? BackupKeep { get; init; }

    /// <summary>The listing prefix: the site's prefix plus '/', so prefix "a" never sees "a-b/".</summary>
    public string ListPrefix => Prefix.Length == 0 ? "" : Prefix + "/";

    public string KeyFor(string relativePath) => ListPrefix + relativePath;

    /// <summary>The configuration keys whose effective values differ from <paramref name="other"/>'s, for a reload's
    /// log line; "settings" when the sites differ in a way none of the named keys tells.</summary>
    public IReadOnlyList<string> ChangedKeys(Site other)
    {
        (string Key, bool Differs)[] keys =
        [
            ("name", Name != other.Name), ("local_path", LocalPath != other.LocalPath), ("bucket", Bucket != other.Bucket),
            ("bucket_path", Prefix != other.Prefix), ("bucket_region", Region != other.Region), ("endpoint", Endpoint != other.Endpoint),
            ("force_path_style", ForcePathStyle != other.ForcePathStyle), ("retire_deleted", RetireDeleted != other.RetireDeleted),
            ("storage_class", StorageClass != other.StorageClass), ("credentials", !Equals(Credentials, other.Credentials)),
            ("watch_interval", WatchInterval != other.WatchInterval), ("max_delete", MaxDelete != other.MaxDelete),
            ("exclusions/inclusions", !Filter.Equals(other.Filter)), ("symlinks", Symlinks != other.Symlinks), ("watch_mode", WatchMode != other.WatchMode),
            ("folders", Folders != other.Folders), ("metadata", Metadata != other.Metadata),
            ("sse", !Encryption.Equals(other.Encryption)), ("acl", Acl != other.Acl), ("headers", !Headers.Equals(other.Headers)),
            ("profile", Profile != other.Profile), ("create_bucket", CreateBucket != other.CreateBucket), ("backup_path", BackupPath != other.BackupPath),
            ("backup_storage_class", BackupStorageClass != other.BackupStorageClass), ("backup_keep", BackupKeep != other.BackupKeep),
        ];
        var changed = keys.Where(k => k.Differs).Select(k => k.Key).ToList();
        return changed.Count == 0 && !Equals(other) ? ["settings"] : changed;
    }
}

/// <summary>
/// The most deletions a run may make: a count, or a percentage of the objects under the prefix.
/// </summary>
public readonly record struct DeleteLimit(long Count, double Percent, long Floor = 0)
{
    /// <summary>
    /// Default: refuse a run that would delete more than half of what the prefix holds, once that is more than
    /// 20 objects (so small sites can still retire a few files).
    /// </summary>
    public static DeleteLimit Default => new(-1, 50, 20);

    public static DeleteLimit Unlimited => new(-1, -1);

    public bool IsUnlimited => Count < 0 && Percent < 0;

    public bool Allows(long deletions, long remoteObjects)
    {
        if (deletions == 0 || IsUnlimited || deletions <= Floor) return true;
        if (Count >= 0) return deletions <= Count;
        return deletions <= remoteObjects * Percent / 100.0;
    }

    public override string ToString() => IsUnlimited ? "unlimited" : Count >= 0 ? Count.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Percent.ToString(System.Globalization.CultureInfo.InvariantCulture)}%" + (Floor > 0 ? $" (at least {Floor})" : "");

    /// <summary>Why a max_delete text is refused, in a phrase for "--max-delete: ..." or "max_delete: ...".</summary>
    public static string Problem(string text) => text.Trim().StartsWith('-')
        ? $"'{text}' is negative; use 'unlimited' for no limit"
        : $"'{text}' is not a count (like 100), a percentage (like 10%) or 'unlimited'";

    /// <summary>A count (0 and up), a percentage (0% to 100%) or <c>unlimited</c>; a negative number is refused
    /// (it used to mean unlimited, silently).</summary>
    public static bool TryParse(string text, out DeleteLimit limit)
    {
        text = text.Trim();
        limit = Default;
        if (text is "unlimited") { limit = Unlimited; return true; }
        if (text.EndsWith('%'))
        {
            if (double.TryParse(text[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 100)
            {
                limit = new DeleteLimit(-1, p);
                return true;
            }
            return false;
        }
        if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            limit = new DeleteLimit(n, -1);
            return true;
        }
        return false;
    }
}

/// <summary>
/// Inclusions and exclusions, matched against the path relative to <c>local_path</c> with '/' separators
/// (unanchored, like the original's Go regexps). A path is synced when it matches an inclusion (all do
/// when there are none) and no exclusion. Patterns run on the non-backtracking engine so no pattern can
/// hang a run; the few constructs it lacks fall back to the backtracking engine with a match timeout.
/// Command-line <see cref="Rules"/> come after: the last rule matching a path decides, else the lists do.
/// Two filters are equal when they would decide every path the same way for the same reason: the same patterns with
/// the same options, in the same order (a reload compares sites with it).
/// </summary>
public sealed class PathFilter : IEquatable<PathFilter>
{
    public static readonly PathFilter All = new([], []);

    private readonly Regex[] _inclusions;
    private readonly Regex[] _exclusions;
    private readonly Regex[] _folderExclusions;
    private readonly FilterRule[] _rules;

    public PathFilter(IReadOnlyList<Regex> inclusions, IReadOnlyList<Regex> exclusions, IReadOnlyList<FilterRule>? rules = null)
    {
        _inclusions = [.. inclusions];
        _exclusions = [.. exclusions];
        _folderExclusions = [.. exclusions.Where(r => CannotLookPastItsMatch(r.ToString()))];
        _rules = [.. rules ?? []];
    }

    /// <summary>This filter with <paramref name="rules"/> added after its own rules.</summary>
    public PathFilter WithRules(IReadOnlyList<FilterRule> rules) =>
        rules.Count == 0 ? this : new PathFilter(_inclusions, _exclusions, [.. _rules, .. rules]) { Shard = Shard };

    /// <summary>This filter keeping only the paths of <paramref name="shard"/> (before any pattern: a path of another
    /// shard is never this run's, whatever an include says).</summary>
    public PathFilter WithShard(Shard shard) => new(_inclusions, _exclusions, _rules) { Shard = shard };

    /// <summary>The shard this filter keeps, or null for the whole site.</summary>
    public Shard? Shard { get; private init; }

    /// <summary>The command-line rules, in the order they apply.</summary>
    public IReadOnlyList<FilterRule> Rules => _rules;

    /// <summary>
    /// True when every path below the folder <paramref name="folderPath"/> (relative, ending in '/') is excluded, so a
    /// walk need not enter it (nor watch it, nor fail on it when it cannot be read). That holds when an exclusion
    /// matches the folder's own path and cannot look past the end of its match: every path below extends the
    /// folder's, so the same match is found in each. An exclusion with an end anchor, a word boundary or a lookahead
    /// (<c>$</c>, <c>\z</c>, <c>\Z</c>, <c>\b</c>, <c>\B</c>, <c>(?=</c>, <c>(?!</c>) is never used for this, and a match
    /// that times out does not count.
    /// </summary>
    /// <remarks>With command-line rules: an exclude rule that matches every path below counts when no include rule
    /// comes after it, and the lists count only when no include rule exists at all (a later include could take a
    /// path back).</remarks>
    public bool ExcludesAllBelow(string folderPath)
    {
        if (Shard is { } shard && !shard.Owns(folderPath)) return true;
        var laterInclude = false;
        for (var i = _rules.Length - 1; i >= 0; i--)
        {
            if (_rules[i].Include) { laterInclude = true; continue; }
            if (!laterInclude && _rules[i].MatchesAllBelow(folderPath)) return true;
        }
        if (laterInclude) return false;
        foreach (var r in _folderExclusions)
        {
            try { if (r.IsMatch(folderPath)) return true; }
            catch (RegexMatchTimeoutException) { }
        }
        return false;
    }

    internal static bool CannotLookPastItsMatch(string pattern) =>
        !pattern.Contains('$') && !new[] { @"\z", @"\Z", @"\b", @"\B", @"\G", "(?=", "(?!" }.Any(t => pattern.Contains(t, StringComparison.Ordinal));

    public IReadOnlyList<string> Inclusions => [.. _inclusions.Select(r => r.ToString())];

    public IReadOnlyList<string> Exclusions => [.. _exclusions.Select(r => r.ToString())];

    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(200);

    public bool Equals(PathFilter? other) =>
        other is not null && (ReferenceEquals(this, other)
            || SamePatterns(_inclusions, other._inclusions) && SamePatterns(_exclusions, other._exclusions) && _rules.SequenceEqual(other._rules) && Shard == other.Shard);

    public override bool Equals(object? obj) => Equals(obj as PathFilter);

    public override int GetHashCode() => HashCode.Combine(_inclusions.Length, _exclusions.Length, _rules.Length);

    /// <summary>True when both lists hold the same patterns, compiled the same way, in the same order.</summary>
    internal static bool SamePatterns(IReadOnlyList<Regex> a, IReadOnlyList<Regex> b) =>
        a.Count == b.Count && a.Zip(b).All(p => SamePattern(p.First, p.Second));

    /// <summary>Regex has no value equality: the pattern, the options and the match timeout say what it does.</summary>
    internal static bool SamePattern(Regex? a, Regex? b) =>
        ReferenceEquals(a, b) || a is not null && b is not null && a.ToString() == b.ToString() && a.Options == b.Options && a.MatchTimeout == b.MatchTimeout;

    /// <summary>Compiles a pattern, or returns the reason it cannot be used.</summary>
    public static Regex Compile(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout);
        }
    }

    /// <summary>True when the relative path is to be synced. A pattern that times out counts as matching, so an
    /// exclusion errs towards leaving the file alone.</summary>
    public bool Includes(string relativePath)
    {
        if (Shard is { } shard && !shard.Owns(relativePath)) return false;
        for (var i = _rules.Length - 1; i >= 0; i--)
            if (_rules[i].Matches(relativePath)) return _rules[i].Include;
        if (_inclusions.Length > 0 && !_inclusions.Any(r => SafeMatch(r, relativePath))) return false;
        return !_exclusions.Any(r => SafeMatch(r, relativePath));
    }

    private static bool SafeMatch(Regex regex, string path)
    {
        try { return regex.IsMatch(path); }
        catch (RegexMatchTimeoutException) { return true; }
    }
}
