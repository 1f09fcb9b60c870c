using System.Globalization;
using System.Text;

namespace S3Sync.Reporting;

/// <summary>
/// Makes text from outside (a key in a bucket, a file name) safe to print on a terminal or in a log: one entry
/// stays one line and no escape sequence reaches the terminal. The one escaping used by every report and log line.
/// </summary>
public static class Printable
{
    /// <summary>
    /// Escapes C0 and C1 controls and DEL (<c>\x1b</c>; <c>\n</c>, <c>\t</c>, <c>\r</c> by name), the
    /// noncharacters U+FFFE and U+FFFF, bidirectional overrides (which can make a key read as another) and lone
    /// surrogates (<c>\u202e</c>), and the backslash itself when anything else is escaped, so the original is
    /// recoverable. Plain text (including "ü", "+", "->") is returned unchanged.
    /// </summary>
    public static string Escape(string text)
    {
        if (!NeedsEscaping(text)) return text;
        var sb = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\') sb.Append("\\\\");
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\t') sb.Append("\\t");
            else if (c == '\r') sb.Append("\\r");
            else if (char.IsControl(c)) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { sb.Append(c).Append(text[i + 1]); i++; }
            else if (IsHostile(c) || char.IsSurrogate(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static bool NeedsEscaping(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) || IsHostile(c)) return true;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return true;
        }
        return false;
    }

    /// <summary>Noncharacters and the invisible characters that reorder or hide what follows them.</summary>
    private static bool IsHostile(char c) =>
        c is '\uFFFE' or '\uFFFF' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C';

    /// <summary>A word for a POSIX shell: as it is when it holds only safe characters, else in single quotes (a quote
    /// inside as <c>'\''</c>), escaped for the terminal too, so a printed command can be pasted as it stands.</summary>
    public static string ShellQuote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or ':' or '=' or ',' or '@' or '+')
            ? word
            : "'" + Escape(word).Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
