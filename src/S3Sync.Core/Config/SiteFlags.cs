namespace S3Sync.Config;

/// <summary>
/// The command line's values for site keys, as plain data (null or false: not given). <see cref="ConfigAssembly"/>
/// sets each given one on every selected site before <see cref="ConfigLoader.Resolve"/>, so a value given as a flag is
/// checked exactly like the same value in a file, and an error names the flag.
/// </summary>
public sealed record SiteFlags
{
    public string? Endpoint { get; init; }
    public string? Region { get; init; }
    public string? StorageClass { get; init; }
    /// <summary>--delete: null when not given (<c>--delete false</c> turns retire_deleted off).</summary>
    public bool? Delete { get; init; }
    public bool? CreateBucket { get; init; }
    public bool? ForcePathStyle { get; init; }
    public string? Name { get; init; }
    public string? Symlinks { get; init; }
    /// <summary>--follow-symlinks: the same as <c>--symlinks follow</c>.</summary>
    public bool FollowSymlinks { get; init; }
    public bool NoMetadata { get; init; }
    public string? Sse { get; init; }
    public string? SseKmsKeyId { get; init; }
    public string? SseCustomerKeyFile { get; init; }
    public string? Acl { get; init; }
    public string? Profile { get; init; }
    public string? CacheControl { get; init; }
    public string? ContentType { get; init; }
    public string? ContentEncoding { get; init; }
    public string? ContentDisposition { get; init; }
    /// <summary>--metadata NAME=VALUE, in the order given.</summary>
    public IReadOnlyList<string> Metadata { get; init; } = [];
    public string? BackupPath { get; init; }
    /// <summary>--bwlimit: the document's global bandwidth_limit.</summary>
    public string? BandwidthLimit { get; init; }

    /// <summary>Flags that contradict each other, as one line; null when none do.</summary>
    public string? Conflict() =>
        FollowSymlinks && Symlinks is { } mode && mode != "follow"
            ? $"--follow-symlinks and --symlinks {mode} contradict each other: drop one" : null;

    /// <summary>
    /// Sets every given flag on the sites whose index is in <paramref name="selected"/>. Returns, per site key path
    /// (<c>sites[0].storage_class</c>), the flag that set it, so errors can name the flag.
    /// </summary>
    public Dictionary<string, string> Apply(ConfigDocument document, IReadOnlyCollection<int> selected)
    {
        var origin = new Dictionary<string, string>(StringComparer.Ordinal);
        var sites = document.Sites ?? [];
        if (BandwidthLimit is { } rate) { document.BandwidthLimit = rate; origin["bandwidth_limit"] = "--bwlimit"; }
        foreach (var i in selected)
        {
            var site = sites[i];
            var p = $"sites[{i}]";
            void Set(string key, string flag) => origin[$"{p}.{key}"] = flag;
            if (Endpoint is { } endpoint) { site.Endpoint = endpoint; Set("endpoint", "--endpoint"); }
            if (Region is { } region) { site.BucketRegion = region; Set("bucket_region", "--region"); }
            if (StorageClass is { } storageClass) { site.StorageClass = storageClass; Set("storage_class", "--storage-class"); }
            if (Delete is { } delete) { site.RetireDeleted = delete; Set("retire_deleted", "--delete"); }
            if (CreateBucket is { } create) { site.CreateBucket = create; Set("create_bucket", "--create-bucket"); }
            if (ForcePathStyle is { } pathStyle) { site.ForcePathStyle = pathStyle; Set("force_path_style", "--force-path-style"); }
            if (Name is { } name) { site.Name = name; Set("name", "--name"); }
            if (Symlinks is { } symlinks) { site.Symlinks = symlinks; Set("symlinks", "--symlinks"); }
            // --follow-symlinks is --symlinks follow (a contradicting --symlinks is refused by Conflict before this).
            if (FollowSymlinks && Symlinks is null) { site.Symlinks = "follow"; Set("symlinks", "--follow-symlinks"); }
            if (NoMetadata) { site.Metadata = false; Set("metadata", "--no-metadata"); }
            // The three encryption keys are resolved as one (a site's replace the global ones): a flag brings the
            // site's others along, so --sse aws:kms on a site with an SSE-C key file is the conflict it looks like.
            if (Sse is { } sse) { site.Sse = sse; Set("sse", "--sse"); }
            if (SseKmsKeyId is { } kmsKey) { site.SseKmsKeyId = kmsKey; Set("sse_kms_key_id", "--sse-kms-key-id"); }
            if (SseCustomerKeyFile is { } keyFile) { site.SseCustomerKeyFile = keyFile; Set("sse_customer_key_file", "--sse-customer-key-file"); }
            if (Acl is { } acl) { site.Acl = acl; Set("acl", "--acl"); }
            if (Profile is { } profile) { site.Profile = profile; Set("profile", "--profile"); }
            if (BackupPath is { } backupPath) { site.BackupPath = backupPath; Set("backup_path", "--backup-path"); }
            var flags = new HeaderRuleDocument
            {
                CacheControl = CacheControl,
                ContentType = ContentType,
                ContentEncoding = ContentEncoding,
                ContentDisposition = ContentDisposition,
            };
            foreach (var pair in Metadata)
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var (metaName, metaValue) = eq < 0 ? (pair, "") : (pair[..eq], pair[(eq + 1)..]);
                (flags.Metadata ??= [])[metaName] = metaValue;
                Set($"header_flags.metadata.{metaName}", "--metadata");
            }
            if (flags.CacheControl is not null || flags.ContentType is not null || flags.ContentEncoding is not null || flags.ContentDisposition is not null || flags.Metadata is not null)
            {
                site.HeaderFlags = flags;
                Set("header_flags.cache_control", "--cache-control");
                Set("header_flags.content_type", "--content-type");
                Set("header_flags.content_encoding", "--content-encoding");
                Set("header_flags.content_disposition", "--content-disposition");
                Set("header_flags.metadata", "--metadata");
            }
        }
        return origin;
    }

    /// <summary>
    /// An error as the user should read it: a key set by a flag is named by the flag, without the file's line
    /// (<c>--storage-class: unknown storage class 'X'</c>); any other stays as the loader wrote it.
    /// </summary>
    public static string Describe(ConfigError error, IReadOnlyDictionary<string, string> origin)
    {
        if (origin.TryGetValue(error.Key, out var flag)) return $"{flag}: {error.Message}";
        return error.ToString();
    }
}
