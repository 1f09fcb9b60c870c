namespace S3Sync.Config;

/// <summary>
/// What <see cref="ConfigAssembly"/> made of a request: the configuration, or the errors (one line each, without the
/// program's name); warnings in both cases (a config holding secrets readable by others).
/// </summary>
public sealed record ConfigAssemblyResult(AssembledConfig? Assembled, IReadOnlyList<string> Warnings, IReadOnlyList<string> Errors)
{
    public SyncConfig? Config => Assembled?.Config;
}
