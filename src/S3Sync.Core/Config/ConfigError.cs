namespace S3Sync.Config;

/// <summary>One thing wrong with a configuration: where it is and what is wrong, in one line.</summary>
public sealed record ConfigError(string File, int Line, int Column, string Key, string Message)
{
    public override string ToString()
    {
        var where = Line > 0 ? $"{File}:{Line}:{Column}" : File;
        return Key.Length > 0 ? $"{where}: {Key}: {Message}" : $"{where}: {Message}";
    }
}

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
