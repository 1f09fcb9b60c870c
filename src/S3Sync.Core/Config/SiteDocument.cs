using YamlDotNet.Serialization;

namespace S3Sync.Config;

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
