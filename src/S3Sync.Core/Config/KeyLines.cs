using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace S3Sync.Config;

/// <summary>Where each key of a configuration file stands, so errors found after parsing can still name a line.</summary>
public sealed class KeyLines(string file)
{
    private readonly Dictionary<string, (int Line, int Column)> _positions = new(StringComparer.Ordinal);

    public string File => file;

    internal void Add(string keyPath, YamlNode node) => _positions[keyPath] = ((int)node.Start.Line, (int)node.Start.Column);

    public bool Has(string keyPath) => _positions.ContainsKey(keyPath);

    /// <summary>An error at a key's line, else at its fallback's (the site), else without a line.</summary>
    public ConfigError ErrorAt(string keyPath, string message, string? fallback = null)
    {
        if (_positions.TryGetValue(keyPath, out var at) || (fallback is not null && _positions.TryGetValue(fallback, out at)))
            return new ConfigError(file, at.Line, at.Column, keyPath, message);
        return new ConfigError(file, 0, 0, keyPath, message);
    }
}
