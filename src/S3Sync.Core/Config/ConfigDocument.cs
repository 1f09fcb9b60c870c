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
