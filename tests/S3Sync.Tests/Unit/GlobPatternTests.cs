using S3Sync.Config;

namespace S3Sync.Tests.Unit;

/// <summary>Globs of <c>--exclude</c>/<c>--include</c> mean what they mean to <c>aws s3 sync</c> (Python's fnmatch).</summary>
public sealed class GlobPatternTests
{
    public static TheoryData<string, string, bool> Table => new()
    {
        // '*' crosses '/': a pattern matches the whole relative path, at any depth.
        { "*.log", "x.log", true },
        { "*.log", "a/b/x.log", true },
        { "*.log", "x.log.1", false },
        { "doc/*.gz", "doc/a.gz", true },
        { "doc/*.gz", "doc/deep/er/a.gz", true },
        { "doc/*.gz", "src/doc/a.gz", false },
        // Anchored at both ends: '.git' is the file named .git at the top, not doc/git/ nor a/.git/x.
        { ".git", ".git", true },
        { ".git", "doc/git/x", false },
        { ".git", ".git/config", false },
        { ".git/*", ".git/config", true },
        { ".git/*", "a/.git/config", false },
        { "*/.git/*", "a/.git/config", true },
        // '**' is the same as '*'.
        { "**/*.tmp", "a/b.tmp", true },
        { "**/*.tmp", "b.tmp", false },
        { "a/**", "a/b/c", true },
        // '?' is one character, '/' included.
        { "?.txt", "a.txt", true },
        { "?.txt", "ab.txt", false },
        { "a?b", "a/b", true },
        // Classes, ranges and negation; ']' first is a member; an unclosed '[' is literal.
        { "[ab].txt", "b.txt", true },
        { "[ab].txt", "c.txt", false },
        { "file[0-9]", "file7", true },
        { "file[!0-9]", "file7", false },
        { "file[!0-9]", "filex", true },
        { "[]]x", "]x", true },
        { "[*]", "*", true },
        { "[*]", "a", false },
        { "a[b", "a[b", true },
        // Everything else is literal: regex syntax means nothing in a glob.
        { "a.b", "axb", false },
        { @"\.log$", "x.log", false },
        { "(x", "(x", true },
        { "a+b", "a+b", true },
        { "a^b", "a^b", true },
        { "[a^]", "^", true },
        { @"a\b", @"a\b", true },
        // Case matters, as on a Linux disk and in S3 keys.
        { "*.JPG", "a.jpg", false },
        // Any character a key may hold, newline included.
        { "*", "line\nbreak", true },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Glob_matches_the_relative_path_like_aws_s3_sync(string glob, string path, bool matches) =>
        Assert.Equal(matches, FilterRule.Glob(false, "--exclude", glob).Matches(path));

    [Fact]
    public void The_last_matching_filter_wins()
    {
        // --exclude '*' --include '*.txt' --exclude 'tmp/*'
        var filter = PathFilter.All.WithRules([
            FilterRule.Glob(false, "--exclude", "*"),
            FilterRule.Glob(true, "--include", "*.txt"),
            FilterRule.Glob(false, "--exclude", "tmp/*"),
        ]);

        Assert.True(filter.Includes("a/b.txt"));
        Assert.False(filter.Includes("a/b.log"));
        Assert.False(filter.Includes("tmp/c.txt"));
    }

    [Fact]
    public void Command_line_rules_come_after_the_config_lists()
    {
        // exclusions: ['\.log$'] in the file, then --include 'keep.log' takes one back; an --exclude-regex adds one.
        var filter = new PathFilter([], [PathFilter.Compile(@"\.log$")]).WithRules([
            FilterRule.Glob(true, "--include", "keep.log"),
            FilterRule.RegularExpression(false, "--exclude-regex", @"^cache/"),
        ]);

        Assert.True(filter.Includes("keep.log"));
        Assert.False(filter.Includes("other.log"));
        Assert.False(filter.Includes("cache/x.txt"));
        Assert.True(filter.Includes("x.txt"));
    }

    [Theory]
    [InlineData("--exclude node_modules/*", "node_modules/", true)]
    [InlineData("--exclude node_modules/*", "a/node_modules/", false)]
    [InlineData("--exclude */node_modules/*", "a/node_modules/", true)]
    [InlineData("--exclude *", "a/", true)]
    [InlineData("--exclude *.log", "a.log/", false)] // a folder named a.log: its files are not named *.log
    [InlineData("--exclude * --include *.txt", "a/", false)] // a later include may take a file below back
    [InlineData("--include *.txt --exclude tmp/*", "tmp/", true)]
    [InlineData("--exclude-regex ^tmp/", "tmp/", true)]
    [InlineData("--exclude-regex ^tmp/$", "tmp/", false)]
    public void A_folder_is_skipped_only_when_every_path_below_it_is_excluded(string rules, string folder, bool skipped)
    {
        var tokens = rules.Split(' ');
        var list = new List<FilterRule>();
        for (var i = 0; i < tokens.Length; i += 2)
        {
            var include = tokens[i].StartsWith("--include", StringComparison.Ordinal);
            list.Add(tokens[i].EndsWith("-regex", StringComparison.Ordinal)
                ? FilterRule.RegularExpression(include, tokens[i], tokens[i + 1])
                : FilterRule.Glob(include, tokens[i], tokens[i + 1]));
        }

        Assert.Equal(skipped, PathFilter.All.WithRules(list).ExcludesAllBelow(folder));
    }

    [Theory]
    [InlineData("*.log", @"\.log$")]
    [InlineData("*.tmp*", @"\.tmp")]
    [InlineData("build/*", "^build/")]
    public void A_glob_in_a_regex_list_gets_the_regex_it_meant(string glob, string suggested) =>
        Assert.Equal(suggested, GlobPattern.SuggestRegex(glob));
}
