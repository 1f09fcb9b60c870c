using System.Collections;

namespace S3Sync.Reporting;

/// <summary>A log call's structured values and its formatted message, as a logger passes them on (see
/// <see cref="SiteLogger"/>): the values are what a JSON log writes beside the message.</summary>
public sealed class LogState(IReadOnlyList<KeyValuePair<string, object?>> pairs, string message) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public string Message => message;

    public KeyValuePair<string, object?> this[int index] => pairs[index];

    public int Count => pairs.Count;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => pairs.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => message;
}
