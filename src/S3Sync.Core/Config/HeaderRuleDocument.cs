using YamlDotNet.Serialization;

namespace S3Sync.Config;

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
