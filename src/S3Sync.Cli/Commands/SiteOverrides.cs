using System.CommandLine;
using S3Sync.Config;

namespace S3Sync.Cli.Commands;

/// <summary>
/// The flags that mirror site keys of the configuration file. They are applied to the <see cref="ConfigDocument"/>
/// before <see cref="ConfigLoader.Resolve"/>, so a value given as a flag is checked exactly like the same value in a file.
/// With a file they override the key in every selected site (flags win); the filters are <see cref="FilterOptions"/>.
/// In the ad-hoc form (no file) they are the only source of settings besides the environment.
/// </summary>
public sealed class SiteOverrides
{
    public Option<string?> Endpoint { get; } = new("--endpoint") { Description = "S3 endpoint URL, for S3-compatible stores (key: endpoint)", HelpName = "URL" };
    public Option<string?> Region { get; } = new("--region") { Description = "Bucket region (key: bucket_region)", HelpName = "REGION" };
    public Option<string?> StorageClass { get; } = new("--storage-class") { Description = "Storage class of uploads, e.g. STANDARD_IA (key: storage_class)", HelpName = "CLASS" };
    public Option<bool> Delete { get; } = new("--delete") { Description = "Delete objects whose file is gone (key: retire_deleted; --delete false turns it off)" };
    public Option<bool> ForcePathStyle { get; } = new("--force-path-style") { Description = "Path-style requests (key: force_path_style; default: on with an endpoint)" };
    public Option<string?> Symlinks { get; } = new("--symlinks") { Description = "Symbolic links: skip (default), follow, or preserve them as links (key: symlinks)", HelpName = "MODE" };
    public Option<bool> FollowSymlinks { get; } = new("--follow-symlinks") { Description = "Same as --symlinks follow (aws's and rclone's name)" };
    /// <summary>sync and watch only (added by them): the commands that write.</summary>
    public Option<bool> CreateBucket { get; } = new("--create-bucket") { Description = "Create the bucket if it does not exist (key: create_bucket; a dry run creates nothing)" };
    public Option<bool> NoMetadata { get; } = new("--no-metadata") { Description = "Store and compare content only, no mode, owner or mtime: a touch or chmod writes nothing (key: metadata: false; for websites)" };
    public Option<string?> Name { get; } = new("--name") { Description = "Site name in logs and reports (key: name; default BUCKET/PREFIX)", HelpName = "NAME" };

    public Option<string?> Sse { get; } = new("--sse") { Description = "Server-side encryption: AES256, aws:kms, aws:kms:dsse or none (key: sse)", HelpName = "MODE" };
    public Option<string?> SseKmsKeyId { get; } = new("--sse-kms-key-id") { Description = "KMS key for aws:kms (key: sse_kms_key_id)", HelpName = "KEY" };
    public Option<string?> SseCustomerKeyFile { get; } = new("--sse-customer-key-file") { Description = "SSE-C: the file holding the 256-bit key (key: sse_customer_key_file)", HelpName = "FILE" };
    public Option<string?> Acl { get; } = new("--acl") { Description = "Canned ACL of uploads, e.g. bucket-owner-full-control (key: acl)", HelpName = "ACL" };
    public Option<string?> Profile { get; } = new("--profile") { Description = "Profile of ~/.aws/config and ~/.aws/credentials to use (key: profile; default AWS_PROFILE)", HelpName = "NAME" };
    public Option<string?> CacheControl { get; } = new("--cache-control") { Description = "Cache-Control of every upload, over the headers rules (key: headers)", HelpName = "VALUE" };
    public Option<string?> ContentType { get; } = new("--content-type") { Description = "Content-Type of every upload, over the headers rules and the extension table (key: headers)", HelpName = "TYPE" };
    public Option<string?> ContentEncoding { get; } = new("--content-encoding") { Description = "Content-Encoding of every upload (key: headers)", HelpName = "VALUE" };
    public Option<string?> ContentDisposition { get; } = new("--content-disposition") { Description = "Content-Disposition of every upload (key: headers)", HelpName = "VALUE" };
    public Option<string[]> Metadata { get; } = new("--metadata") { Description = "User metadata NAME=VALUE on every upload (repeatable; key: headers)", HelpName = "NAME=VALUE" };
    public Option<string?> BackupPath { get; } = new("--backup-path") { Description = "Save what a run deletes or overwrites under this prefix of the bucket, a folder per run (key: backup_path)", HelpName = "PREFIX" };
    public Option<string?> BandwidthLimit { get; } = new("--bwlimit") { Description = "Limit all transfers together to this rate, e.g. 10MiB/s (key: bandwidth_limit)", HelpName = "RATE" };

    public SiteOverrides()
    {
        StorageClass.CompletionSources.Add([.. ConfigLoader.StorageClasses]);
        Acl.CompletionSources.Add([.. ConfigLoader.CannedAcls]);
        Sse.CompletionSources.Add("AES256", "aws:kms", "aws:kms:dsse", "none");
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Endpoint);
        command.Options.Add(Region);
        command.Options.Add(StorageClass);
        command.Options.Add(Delete);
        command.Options.Add(ForcePathStyle);
        command.Options.Add(Name);
        command.Options.Add(Symlinks);
        command.Options.Add(FollowSymlinks);
        command.Options.Add(NoMetadata);
        command.Options.Add(Sse);
        command.Options.Add(SseKmsKeyId);
        command.Options.Add(SseCustomerKeyFile);
        command.Options.Add(Acl);
        command.Options.Add(Profile);
        command.Options.Add(CacheControl);
        command.Options.Add(ContentType);
        command.Options.Add(ContentEncoding);
        command.Options.Add(ContentDisposition);
        command.Options.Add(Metadata);
        command.Options.Add(BackupPath);
        command.Options.Add(BandwidthLimit);
    }

    /// <summary>Flags that contradict each other, as one line; null when none do.</summary>
    public string? Conflict(ParseResult result) =>
        result.GetValue(FollowSymlinks) && result.GetValue(Symlinks) is { } mode && mode != "follow"
            ? $"--follow-symlinks and --symlinks {mode} contradict each other: drop one" : null;

    /// <summary>
    /// Sets every given flag on the sites whose index is in <paramref name="selected"/>. Returns, per site key path
    /// (<c>sites[0].storage_class</c>), the flag that set it, so errors can name the flag.
    /// </summary>
    public Dictionary<string, string> Apply(ParseResult result, ConfigDocument document, IReadOnlyCollection<int> selected)
    {
        var origin = new Dictionary<string, string>(StringComparer.Ordinal);
        var sites = document.Sites ?? [];
        if (result.GetValue(BandwidthLimit) is { } rate) { document.BandwidthLimit = rate; origin["bandwidth_limit"] = "--bwlimit"; }
        foreach (var i in selected)
        {
            var site = sites[i];
            var p = $"sites[{i}]";
            void Set(string key, string flag) => origin[$"{p}.{key}"] = flag;
            if (result.GetValue(Endpoint) is { } endpoint) { site.Endpoint = endpoint; Set("endpoint", "--endpoint"); }
            if (result.GetValue(Region) is { } region) { site.BucketRegion = region; Set("bucket_region", "--region"); }
            if (result.GetValue(StorageClass) is { } storageClass) { site.StorageClass = storageClass; Set("storage_class", "--storage-class"); }
            if (result.GetResult(Delete) is { Implicit: false }) { site.RetireDeleted = result.GetValue(Delete); Set("retire_deleted", "--delete"); }
            if (result.GetResult(CreateBucket) is { Implicit: false }) { site.CreateBucket = result.GetValue(CreateBucket); Set("create_bucket", "--create-bucket"); }
            if (result.GetResult(ForcePathStyle) is { Implicit: false }) { site.ForcePathStyle = result.GetValue(ForcePathStyle); Set("force_path_style", "--force-path-style"); }
            if (result.GetValue(Name) is { } name) { site.Name = name; Set("name", "--name"); }
            if (result.GetValue(Symlinks) is { } symlinks) { site.Symlinks = symlinks; Set("symlinks", "--symlinks"); }
            // --follow-symlinks is --symlinks follow (a contradicting --symlinks is refused by Conflict before this).
            if (result.GetValue(FollowSymlinks) && result.GetValue(Symlinks) is null) { site.Symlinks = "follow"; Set("symlinks", "--follow-symlinks"); }
            if (result.GetValue(NoMetadata)) { site.Metadata = false; Set("metadata", "--no-metadata"); }
            // The three encryption keys are resolved as one (a site's replace the global ones): a flag brings the
            // site's others along, so --sse aws:kms on a site with an SSE-C key file is the conflict it looks like.
            if (result.GetValue(Sse) is { } sse) { site.Sse = sse; Set("sse", "--sse"); }
            if (result.GetValue(SseKmsKeyId) is { } kmsKey) { site.SseKmsKeyId = kmsKey; Set("sse_kms_key_id", "--sse-kms-key-id"); }
            if (result.GetValue(SseCustomerKeyFile) is { } keyFile) { site.SseCustomerKeyFile = keyFile; Set("sse_customer_key_file", "--sse-customer-key-file"); }
            if (result.GetValue(Acl) is { } acl) { site.Acl = acl; Set("acl", "--acl"); }
            if (result.GetValue(Profile) is { } profile) { site.Profile = profile; Set("profile", "--profile"); }
            if (result.GetValue(BackupPath) is { } backupPath) { site.BackupPath = backupPath; Set("backup_path", "--backup-path"); }
            var flags = new HeaderRuleDocument
            {
                CacheControl = result.GetValue(CacheControl),
                ContentType = result.GetValue(ContentType),
                ContentEncoding = result.GetValue(ContentEncoding),
                ContentDisposition = result.GetValue(ContentDisposition),
            };
            foreach (var pair in result.GetValue(Metadata) ?? [])
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
