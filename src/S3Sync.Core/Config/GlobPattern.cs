using System.Text;
using System.Text.RegularExpressions;

namespace S3Sync.Config;

/// <summary>
/// Shell-style patterns with <c>aws s3 sync</c>'s meaning (Python's <c>fnmatch</c>), matched against the whole path
/// relative to <c>local_path</c>: <c>*</c> matches any run of characters, <c>/</c> included (so <c>*.log</c> matches
/// <c>a/b/x.log</c>, and <c>**</c> is the same as <c>*</c>); <c>?</c> matches one character; <c>[abc]</c>,
/// <c>[a-z]</c> and <c>[!abc]</c> match one character of (or not of) a class; any other character, <c>\</c>
/// included, matches itself (write <c>[*]</c> for a literal star). A <c>[</c> without its <c>]</c> is literal.
/// </summary>
public static class GlobPattern
{
    /// <summary>The pattern as an anchored regular expression (<c>*.log</c> gives <c>^.*\.log$</c>).</summary>
    public static string ToRegex(string glob) => "^" + Body(glob) + "$";

    /// <summary>
    /// A regular expression matching every path that begins with a string the pattern, less its trailing stars, can
    /// match: for a pattern ending in <c>*</c>, a folder whose path matches it has every path below it matched.
    /// Null when the pattern does not end in <c>*</c>.
    /// </summary>
    public static string? AllBelowRegex(string glob)
    {
        if (!glob.EndsWith('*')) return null;
        return "^" + Body(glob.TrimEnd('*'));
    }

    /// <summary>Compiles <see cref="ToRegex"/> on the non-backtracking engine: a glob can never hang a run.</summary>
    public static Regex Compile(string glob) => new(ToRegex(glob), RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.Singleline);

    /// <summary>True when a string reads like a glob rather than a regular expression (<c>*.log</c>, <c>dir/*</c>).</summary>
    public static bool LooksLikeGlob(string pattern) =>
        pattern.StartsWith('*') || pattern.Contains("/*", StringComparison.Ordinal) || pattern.Contains("**", StringComparison.Ordinal);

    /// <summary>
    /// The regular expression a user who typed this glob most likely meant, in the form a config file would hold it:
    /// unanchored at the start when the glob starts with <c>*</c> (<c>*.log</c> gives <c>\.log$</c>).
    /// </summary>
    public static string SuggestRegex(string glob)
    {
        var regex = ToRegex(glob);
        if (regex.StartsWith("^.*", StringComparison.Ordinal)) regex = regex[3..];
        if (regex.EndsWith(".*$", StringComparison.Ordinal)) regex = regex[..^3];
        return regex.Length == 0 ? "." : regex;
    }

    private static string Body(string glob)
    {
        var b = new StringBuilder(glob.Length + 8);
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            switch (c)
            {
                case '*':
                    while (i + 1 < glob.Length && glob[i + 1] == '*') i++;
                    b.Append(".*");
                    break;
                case '?':
                    b.Append('.');
                    break;
                case '[':
                    var end = ClassEnd(glob, i);
                    if (end < 0) { b.Append(@"\["); break; }
                    AppendClass(b, glob.AsSpan(i + 1, end - i - 1));
                    i = end;
                    break;
                default:
                    b.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        return b.ToString();
    }

    /// <summary>The index of the <c>]</c> closing the class that opens at <paramref name="start"/>, or -1. As in
    /// fnmatch, a <c>]</c> right after <c>[</c> or <c>[!</c> is a member, not the end.</summary>
    private static int ClassEnd(string glob, int start)
    {
        var j = start + 1;
        if (j < glob.Length && glob[j] == '!') j++;
        if (j < glob.Length && glob[j] == ']') j++;
        while (j < glob.Length && glob[j] != ']') j++;
        return j < glob.Length ? j : -1;
    }

    private static void AppendClass(StringBuilder b, ReadOnlySpan<char> members)
    {
        b.Append('[');
        var k = 0;
        if (members.Length > 0 && members[0] == '!') { b.Append('^'); k = 1; }
        for (; k < members.Length; k++)
        {
            var c = members[k];
            // '-' keeps its range meaning; everything the regex class syntax would read specially is escaped.
            if (c is '\\' or '[' or ']' or '^') b.Append('\\');
            b.Append(c);
        }
        b.Append(']');
    }
}
