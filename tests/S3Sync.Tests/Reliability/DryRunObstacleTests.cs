using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>A dry run exits as its run would (issue #24): here, a restore whose target holds obstacles.</summary>
[Collection("s3")]
public sealed class DryRunObstacleTests(S3ServerFixture server)
{
    [Fact(Timeout = 120_000)]
    public async Task A_restore_dry_run_into_a_target_with_a_folder_and_a_link_in_the_way_exits_3_as_the_real_run_does()
    {
        // Given a backup of a and sub/b, and a target where a is a folder and sub a link to another folder
        using var s = await Scenario.CreateAsync(server);
        s.Write("a", "a");
        s.Write("sub/b", "b");
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "target");
        var elsewhere = Path.Combine(s.Root, "elsewhere");
        Directory.CreateDirectory(Path.Combine(target, "a"));
        Directory.CreateDirectory(elsewhere);
        File.CreateSymbolicLink(Path.Combine(target, "sub"), elsewhere);

        // When a dry run and then the real restore run
        var dry = await s.RunAsync("restore", "-c", "{config}", "--to", target, "--dry-run");
        var real = await s.RunAsync("restore", "-c", "{config}", "--to", target);

        // Then both fail the two keys with exit 3, and nothing was written through the link
        Assert.True(real.ExitCode == 3, real.ToString());
        Assert.True(dry.ExitCode == real.ExitCode, dry.ToString());
        Assert.Contains("failed 2", dry.Output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
    }
}
