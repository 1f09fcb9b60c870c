using S3Sync.Cli;
using S3Sync.DocGen;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>The committed command reference and man page are what the command tree generates: documentation
/// cannot drift from the code. On a failure, run <c>./build.sh docs</c> and commit the result.</summary>
public sealed class CommandReferenceTests
{
    private static string Committed(string name) => File.ReadAllText(Path.Combine(S3ServerFixture.RepoRoot, "docs", name));

    [Fact]
    public void Committed_command_reference_matches_the_command_tree() =>
        Assert.True(CommandReference.Markdown(Program.BuildRoot()) == Committed("commands.md"), "docs/commands.md differs from the code: run ./build.sh docs");

    [Fact]
    public void Committed_man_page_matches_the_command_tree() =>
        Assert.True(CommandReference.ManPage(Program.BuildRoot()) == Committed("s3sync.1"), "docs/s3sync.1 differs from the code: run ./build.sh docs");

    [Fact]
    public void Reference_lists_every_option_of_every_command()
    {
        var markdown = CommandReference.Markdown(Program.BuildRoot());

        foreach (var command in CommandReference.Commands(Program.BuildRoot()))
            foreach (var option in command.Options.Where(o => !o.Hidden && o.Name is not ("--help" or "--version")))
                Assert.Contains($"{option.Name}", markdown);
        Assert.Contains("| 5 | no usable credentials", markdown);
    }
}
