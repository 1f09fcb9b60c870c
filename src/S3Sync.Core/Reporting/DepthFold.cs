namespace S3Sync.Reporting;

/// <summary>
/// <c>ls --depth N</c>: a key with more than N path segments is shown as its folder at depth N ("a/b/" for
/// "a/b/c/d" at depth 2), once. Keys under one folder are contiguous in key order (they share the folder as their
/// start), so remembering the last folder shown is enough: the stream stays a stream.
/// </summary>
public sealed class DepthFold(int depth)
{
    private string? _last;

    /// <summary>The line to show for <paramref name="key"/>: itself (null), or its folder when this is the folder's
    /// first key; <paramref name="skip"/> is true for the folder's other keys.</summary>
    public string? Fold(string key, out bool skip)
    {
        skip = false;
        var end = -1;
        for (var n = 0; n < depth; n++)
        {
            end = key.IndexOf('/', end + 1);
            if (end < 0) return null;
        }
        // A key ending in '/' at exactly this depth is a folder marker: it is its own folder.
        var folder = key[..(end + 1)];
        if (folder == _last) { skip = true; return folder; }
        _last = folder;
        return folder;
    }
}
