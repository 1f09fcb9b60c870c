using YamlDotNet.Serialization;

namespace S3Sync.Config;

/// <summary>Source-generated YamlDotNet context: the reflection deserializer does not survive Native AOT.</summary>
[YamlStaticContext]
[YamlSerializable(typeof(ConfigDocument))]
[YamlSerializable(typeof(SiteDocument))]
public partial class ConfigYamlContext : StaticContext;
