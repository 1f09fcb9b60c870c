using System.Text.RegularExpressions;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>The README stays short and starts with the two commands that work on a fresh machine; every relative
/// link of the README and of docs/ points to a file that exists.</summary>
public sealed partial class ReadmeTests
{
    private static string Root => S3ServerFixture.RepoRoot;

    [Fact]
    public void Readme_is_under_12_KB_and_its_first_commands_are_build_and_test()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var firstBlock = readme[(readme.IndexOf("```", StringComparison.Ordinal) + 3)..];
        var lines = firstBlock.Split('\n').Skip(1).Take(2).Select(l => l.Split('#')[0].Trim()).ToList();

        Assert.True(new FileInfo(Path.Combine(Root, "README.md")).Length < 12_000, "README.md must stay under 12 KB: move details to docs/");
        Assert.Equal(["./build.sh", "./build.sh test"], lines);
    }

    public static TheoryData<string> Pages()
    {
        var data = new TheoryData<string> { "README.md", "CHANGELOG.md" };
        foreach (var f in Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md").Order(StringComparer.Ordinal)) data.Add(Path.GetRelativePath(Root, f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_relative_link_points_to_a_file_that_exists(string page)
    {
        var path = Path.Combine(Root, page);
        var broken = Link().Matches(File.ReadAllText(path))
            .Select(m => m.Groups[1].Value)
            .Where(l => !l.Contains("://", StringComparison.Ordinal) && !l.StartsWith('#') && !l.StartsWith("mailto:", StringComparison.Ordinal))
            .Select(l => l.Split('#')[0])
            .Where(l => !File.Exists(Path.Combine(Path.GetDirectoryName(path)!, l)) && !Directory.Exists(Path.Combine(Path.GetDirectoryName(path)!, l)))
            .ToList();

        Assert.True(broken.Count == 0, $"{page}: broken links: {string.Join(", ", broken)}");
    }

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();
}
