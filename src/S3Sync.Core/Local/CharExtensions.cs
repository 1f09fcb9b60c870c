using System.Text;

namespace S3Sync.Local;

internal static class CharExtensions
{
    public static int ConvertToUtf32OrSelf(string s, int index, out int width)
    {
        var c = s[index];
        if (char.IsHighSurrogate(c) && index + 1 < s.Length && char.IsLowSurrogate(s[index + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(c, s[index + 1]);
        }
        width = 1;
        return c;
    }
}
