using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace S3Sync.Watching;

internal sealed class MetricsWriter
{
    public Dictionary<string, List<string>> Lines { get; } = [];

    public void Sample(string name, string labels, double value)
    {
        var family = name.EndsWith("_bucket", StringComparison.Ordinal) || name.EndsWith("_sum", StringComparison.Ordinal) || (name.EndsWith("_count", StringComparison.Ordinal) && name.StartsWith("s3sync_upload_delay", StringComparison.Ordinal))
            ? name[..name.LastIndexOf('_')]
            : name;
        if (!Lines.TryGetValue(family, out var list)) Lines[family] = list = [];
        list.Add(labels.Length == 0 ? $"{name} {Format(value)}" : $"{name}{{{labels}}} {Format(value)}");
    }

    private static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);

    public static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
