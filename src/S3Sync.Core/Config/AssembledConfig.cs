namespace S3Sync.Config;

/// <summary>A resolved configuration and where values not from the file came from (key to flag or variable).</summary>
/// <param name="Origin">Key path (<c>sites[0].storage_class</c>) to the flag, word or variable that set it.</param>
/// <param name="Indices">The position in the file of each site of <c>Config.Sites</c> (they differ with <c>--site</c>).</param>
/// <param name="JsonLogs">--log-format json.</param>
/// <param name="MaxDelete">--max-delete, over every site's max_delete; null when not given.</param>
public sealed record AssembledConfig(SyncConfig Config, IReadOnlyDictionary<string, string> Origin, AwsEnvironment Environment, IReadOnlyList<int> Indices, bool JsonLogs = false, DeleteLimit? MaxDelete = null);
