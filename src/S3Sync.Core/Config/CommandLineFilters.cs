using System.Text.RegularExpressions;

namespace S3Sync.Config;

/// <summary>
/// The command-line filters, with <c>aws s3 sync</c>'s meaning: <c>--exclude</c>/<c>--include</c> take globs
/// (<see cref="GlobPattern"/>) matched against the path relative to the folder, <c>--exclude-regex</c>/
/// <c>--include-regex</c> regular expressions, <c>--exclude-from FILE</c> one glob a line. They apply in the order
/// given, after the site's <c>exclusions</c>/<c>inclusions</c>, and the last one that matches a path decides.
/// </summary>
public static class CommandLineFilters
{
    /// <summary>The rules in command-line order. Adds one line per bad pattern or unreadable file to
    /// <paramref name="errors"/> and returns null on any.</summary>
    public static IReadOnlyList<FilterRule>? Rules(IReadOnlyList<FilterFlag> filters, List<string> errors)
    {
        var rules = new List<FilterRule>();
        var ok = true;
        foreach (var (flag, value) in filters)
        {
            if (flag == FilterFlag.ExcludeFrom)
            {
                string[] lines;
                try { lines = ReadList(value); }
                catch (UserFileException e)
                {
                    errors.Add($"--exclude-from: {value}: {e.Message}");
                    ok = false;
                    continue;
                }
                for (var n = 0; n < lines.Length; n++)
                {
                    var line = lines[n].TrimEnd('\r');
                    if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
                    ok &= TryAdd(rules, false, $"--exclude-from {value}:{n + 1}", line, glob: true, errors);
                }
                continue;
            }
            ok &= TryAdd(rules, flag is FilterFlag.Include or FilterFlag.IncludeRegex, flag, value, glob: flag is FilterFlag.Exclude or FilterFlag.Include, errors);
        }
        return ok ? rules : null;
    }

    /// <summary>The lines of an <c>--exclude-from</c> file: a regular file of at most <see cref="UserFile.MaxBytes"/>,
    /// UTF-8 text (read as every file a user names is, so a FIFO or <c>/dev/zero</c> is refused, not read).</summary>
    private static string[] ReadList(string path)
    {
        var bytes = UserFile.Read(path, "a list of patterns");
        string text;
        try { text = new System.Text.UTF8Encoding(false, true).GetString(bytes); }
        catch (System.Text.DecoderFallbackException) { throw new UserFileException("not valid UTF-8 text"); }
        if (text.Contains('\0', StringComparison.Ordinal)) throw new UserFileException("not a text file (it holds NUL bytes)");
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        return text.Split('\n');
    }

    private static bool TryAdd(List<FilterRule> rules, bool include, string flag, string pattern, bool glob, List<string> errors)
    {
        if (pattern.Length == 0)
        {
            errors.Add($"{flag}: empty pattern");
            return false;
        }
        try
        {
            rules.Add(glob ? FilterRule.Glob(include, flag, pattern) : FilterRule.RegularExpression(include, flag, pattern));
            return true;
        }
        catch (RegexParseException e)
        {
            // The only way a glob fails to translate is a class range written backwards ([z-a]).
            errors.Add(glob
                ? $"{flag}: invalid pattern '{pattern}': a character range in [] is in reverse order"
                : $"{flag}: {ConfigLoader.RegexError(pattern, e)}");
        }
        catch (ArgumentException e)
        {
            errors.Add($"{flag}: invalid {(glob ? "pattern" : "regular expression")} '{pattern}': {e.Message}");
        }
        return false;
    }
}
