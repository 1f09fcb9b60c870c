using System.Text;

namespace S3Sync.Local;

/// <summary>
/// Whether an S3 key (relative to the site's prefix) can be a file under a restore's target folder, and its path
/// segments. Keys come from a bucket anyone may have written to: a key with a <c>..</c> or <c>.</c> segment, an absolute
/// path, an empty segment (<c>a//b</c>, a trailing <c>/</c>), a NUL, a name over 255 bytes or a path over 4,095 bytes,
/// text that is not valid UTF-8, or a name that restore's own temporary files use, is refused with the reason.
/// </summary>
public static class RestorePath
{
    public const int MaxNameBytes = 255;
    public const int MaxPathBytes = 4095;

    public static bool TryParse(string key, out string[] segments, out string why)
    {
        segments = [];
        why = "";
        if (key.Length == 0) { why = "the key is empty"; return false; }
        if (key.Contains('\0', StringComparison.Ordinal)) { why = "the key holds a NUL character"; return false; }
        if (key.StartsWith('/')) { why = "the key is an absolute path"; return false; }
        if (HasLoneSurrogate(key) || key.Contains('\uFFFD', StringComparison.Ordinal)) { why = "the key is not valid UTF-8"; return false; }
        if (Encoding.UTF8.GetByteCount(key) > MaxPathBytes) { why = $"the path would be longer than {MaxPathBytes} bytes"; return false; }
        var parts = key.Split('/');
        foreach (var part in parts)
        {
            if (part.Length == 0) { why = "the key has an empty path segment ('//' or a trailing '/')"; return false; }
            if (part is "." or "..") { why = $"the key has a '{part}' segment"; return false; }
            if (Encoding.UTF8.GetByteCount(part) > MaxNameBytes) { why = $"a name in the key is longer than {MaxNameBytes} bytes"; return false; }
        }
        if (TargetFolder.IsTempName(parts[^1])) { why = "the name is one restore uses for its temporary files"; return false; }
        segments = parts;
        return true;
    }

    private static bool HasLoneSurrogate(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1])) return true;
                i++;
            }
            else if (char.IsLowSurrogate(s[i])) return true;
        }
        return false;
    }
}
