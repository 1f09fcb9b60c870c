using System.CommandLine;
using S3Sync.Config;

namespace S3Sync.Cli.Commands;

/// <summary>
/// The flags that mirror site keys of the configuration file. <see cref="Read"/> hands their values to the core as
/// <see cref="SiteFlags"/>, which applies them (see <see cref="ConfigAssembly"/>): with a file they override the key in
/// every selected site (flags win); the filters are <see cref="FilterOptions"/>. In the ad-hoc form (no file) they
/// are the only source of settings besides the environment.
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

    /// <summary>The given flags as plain data for the core (<see cref="SiteFlags"/>).</summary>
    public SiteFlags Read(ParseResult result) => new()
    {
        Endpoint = result.GetValue(Endpoint),
        Region = result.GetValue(Region),
        StorageClass = result.GetValue(StorageClass),
        Delete = Given(result, Delete),
        CreateBucket = Given(result, CreateBucket),
        ForcePathStyle = Given(result, ForcePathStyle),
        Name = result.GetValue(Name),
        Symlinks = result.GetValue(Symlinks),
        FollowSymlinks = result.GetValue(FollowSymlinks),
        NoMetadata = result.GetValue(NoMetadata),
        Sse = result.GetValue(Sse),
        SseKmsKeyId = result.GetValue(SseKmsKeyId),
        SseCustomerKeyFile = result.GetValue(SseCustomerKeyFile),
        Acl = result.GetValue(Acl),
        Profile = result.GetValue(Profile),
        CacheControl = result.GetValue(CacheControl),
        ContentType = result.GetValue(ContentType),
        ContentEncoding = result.GetValue(ContentEncoding),
        ContentDisposition = result.GetValue(ContentDisposition),
        Metadata = result.GetValue(Metadata) ?? [],
        BackupPath = result.GetValue(BackupPath),
        BandwidthLimit = result.GetValue(BandwidthLimit),
    };

    /// <summary>A boolean flag's value when it was on the command line (<c>--delete false</c> included), else null.</summary>
    private static bool? Given(ParseResult result, Option<bool> option) =>
        result.GetResult(option) is { Implicit: false } ? result.GetValue(option) : null;
}
