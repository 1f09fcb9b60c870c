using YamlDotNet.Serialization;

namespace S3Sync.Config;

/// <summary>
/// The configuration file as written, one property per YAML key (the seed's names, snake_case).
/// Values stay nullable so the resolver can tell "unset" from "set to the default".
/// </summary>
public sealed class ConfigDocument
{
    public string? AccessKey { get; set; }
    public string? SecretAccessKey { get; set; }
    public string? AwsRegion { get; set; }
    public string? Endpoint { get; set; }
    public bool? ForcePathStyle { get; set; }
    public string? Loglevel { get; set; }
    public int? UploadQueueBuffer { get; set; }
    public int? UploadWorkers { get; set; }
    public int? WatchInterval { get; set; }
    public int? S3OpsRetries { get; set; }
    public int? RequestTimeout { get; set; }
    public int? RescanInterval { get; set; }
    public int? HttpPort { get; set; }
    public string? HttpAddress { get; set; }
    public string? MaxDelete { get; set; }
    public string? StateDir { get; set; }
    public string? Shard { get; set; }
    [YamlIgnore] public string? BandwidthLimit { get; set; }
    // The upload keys are read from the node tree (UploadKeysReader), not by the generated deserializer.
    [YamlIgnore] public string? Sse { get; set; }
    [YamlIgnore] public string? SseKmsKeyId { get; set; }
    [YamlIgnore] public string? SseCustomerKeyFile { get; set; }
    [YamlIgnore] public string? Acl { get; set; }
    [YamlIgnore] public List<HeaderRuleDocument>? Headers { get; set; }
    [YamlIgnore] public string? Profile { get; set; }
    public List<SiteDocument>? Sites { get; set; }
}

/// <summary>One entry of <c>sites:</c> as written.</summary>
public sealed class SiteDocument
{
    public string? Name { get; set; }
    public string? LocalPath { get; set; }
    public string? Bucket { get; set; }
    public string? BucketPath { get; set; }
    public string? BucketRegion { get; set; }
    public bool? RetireDeleted { get; set; }
    public bool? CreateBucket { get; set; }
    public string? StorageClass { get; set; }
    public string? AccessKey { get; set; }
    public string? SecretAccessKey { get; set; }
    public string? Endpoint { get; set; }
    public bool? ForcePathStyle { get; set; }
    public int? WatchInterval { get; set; }
    public string? MaxDelete { get; set; }
    public List<string>? Exclusions { get; set; }
    public List<string>? Inclusions { get; set; }
    public string? Symlinks { get; set; }
    public string? WatchMode { get; set; }
    public bool? Folders { get; set; }
    public bool? Metadata { get; set; }
    public string? BackupPath { get; set; }
    public string? BackupStorageClass { get; set; }
    public string? BackupKeep { get; set; }

    /// <summary>Header fields given as flags (<c>--cache-control</c>, ...); never read from YAML (not in the schema).</summary>
    [YamlIgnore]
    public HeaderRuleDocument? HeaderFlags { get; set; }
    // The upload keys are read from the node tree (UploadKeysReader), not by the generated deserializer.
    [YamlIgnore] public string? Sse { get; set; }
    [YamlIgnore] public string? SseKmsKeyId { get; set; }
    [YamlIgnore] public string? SseCustomerKeyFile { get; set; }
    [YamlIgnore] public string? Acl { get; set; }
    [YamlIgnore] public List<HeaderRuleDocument>? Headers { get; set; }
    [YamlIgnore] public string? Profile { get; set; }
}

/// <summary>One entry of <c>headers:</c> as written (filled by <see cref="UploadKeysReader"/>).</summary>
public sealed class HeaderRuleDocument
{
    public string? Match { get; set; }
    public string? ContentType { get; set; }
    public string? CacheControl { get; set; }
    public string? ContentEncoding { get; set; }
    public string? ContentDisposition { get; set; }
    public Dictionary<string, string>? Metadata { get; set; }
}

/// <summary>Source-generated YamlDotNet context: the reflection deserializer does not survive Native AOT.</summary>
[YamlStaticContext]
[YamlSerializable(typeof(ConfigDocument))]
[YamlSerializable(typeof(SiteDocument))]
public partial class ConfigYamlContext : StaticContext;
