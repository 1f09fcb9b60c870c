namespace S3Sync.Config;

/// <summary>Thrown when a configuration cannot be used; carries every error found, in file order.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(IReadOnlyList<ConfigError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    public ConfigException() : this([]) { }

    public ConfigException(string message) : base(message) { Errors = []; }

    public ConfigException(string message, Exception inner) : base(message, inner) { Errors = []; }

    public IReadOnlyList<ConfigError> Errors { get; } = [];
}
