using YamlDotNet.RepresentationModel;

namespace S3Sync.Config;

/// <summary>
/// Reads the upload keys (<c>sse</c>, <c>sse_kms_key_id</c>, <c>sse_customer_key_file</c>, <c>acl</c>, <c>profile</c>,
/// <c>bandwidth_limit</c>, <c>headers</c>) from the YAML node tree the loader has already checked, instead of through
/// the source-generated deserializer: each property and type there costs kilobytes of the size-limited binary, and
/// these keys are simple. Same meaning as the deserializer: a plain empty value, <c>~</c> or <c>null</c> is unset.
/// </summary>
internal static class UploadKeysReader
{
    public static void Fill(YamlNode root, ConfigDocument document)
    {
        if (root is not YamlMappingNode top) return;
        document.Sse = Scalar(top, "sse");
        document.SseKmsKeyId = Scalar(top, "sse_kms_key_id");
        document.SseCustomerKeyFile = Scalar(top, "sse_customer_key_file");
        document.Acl = Scalar(top, "acl");
        document.Profile = Scalar(top, "profile");
        document.BandwidthLimit = Scalar(top, "bandwidth_limit");
        document.Headers = Rules(top);
        if (Child(top, "sites") is not YamlSequenceNode sites || document.Sites is null) return;
        for (var i = 0; i < Math.Min(sites.Children.Count, document.Sites.Count); i++)
        {
            if (sites.Children[i] is not YamlMappingNode node || document.Sites[i] is not { } site) continue;
            site.Sse = Scalar(node, "sse");
            site.SseKmsKeyId = Scalar(node, "sse_kms_key_id");
            site.SseCustomerKeyFile = Scalar(node, "sse_customer_key_file");
            site.Acl = Scalar(node, "acl");
            site.Profile = Scalar(node, "profile");
            site.Headers = Rules(node);
        }
    }

    private static YamlNode? Child(YamlMappingNode map, string key)
    {
        foreach (var (k, v) in map.Children)
            if (k is YamlScalarNode { Value: { } name } && name == key) return v;
        return null;
    }

    private static string? Value(YamlNode? node) => node switch
    {
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" } => null,
        YamlScalarNode s => s.Value,
        _ => null,
    };

    private static string? Scalar(YamlMappingNode map, string key) => Value(Child(map, key));

    private static List<HeaderRuleDocument>? Rules(YamlMappingNode map)
    {
        if (Child(map, "headers") is not YamlSequenceNode list) return null;
        var rules = new List<HeaderRuleDocument>(list.Children.Count);
        foreach (var item in list.Children)
        {
            if (item is not YamlMappingNode rule) { rules.Add(null!); continue; }
            var metadata = Child(rule, "metadata") as YamlMappingNode;
            rules.Add(new HeaderRuleDocument
            {
                Match = Scalar(rule, "match"),
                ContentType = Scalar(rule, "content_type"),
                CacheControl = Scalar(rule, "cache_control"),
                ContentEncoding = Scalar(rule, "content_encoding"),
                ContentDisposition = Scalar(rule, "content_disposition"),
                Metadata = metadata?.Children.ToDictionary(p => (p.Key as YamlScalarNode)?.Value ?? "", p => Value(p.Value) ?? "", StringComparer.Ordinal),
            });
        }
        return rules;
    }
}
