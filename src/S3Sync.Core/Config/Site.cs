using System.Text.RegularExpressions;

namespace S3Sync.Config;

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
