using System.Text;

namespace S3Sync.Local;

/// <summary>
/// The order S3 lists keys in: by the UTF-8 bytes of the key. Both sides of a merge must use it.
/// <c>string.CompareOrdinal</c> compares UTF-16 code units, which disagrees with UTF-8 for characters
/// above U+E000 against surrogate pairs, so it is not used.
/// </summary>
public sealed class KeyOrder : IComparer<string>
{
    public static readonly KeyOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        // Walk both strings by code point; code point order equals UTF-8 byte order.
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            var a = CharExtensions.ConvertToUtf32OrSelf(x, i, out var na);
            var b = CharExtensions.ConvertToUtf32OrSelf(y, j, out var nb);
            if (a != b) return a < b ? -1 : 1;
            i += na;
            j += nb;
        }
        return (x.Length - i).CompareTo(y.Length - j);
    }

    public static int ByteCount(string key) => Encoding.UTF8.GetByteCount(key);
}
