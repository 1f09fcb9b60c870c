using System.Reflection;
using S3Sync.Cli;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Packaging;

/// <summary>What the README promises of the published binaries: the version they print and the sizes they keep to.</summary>
public sealed class BinaryTests
{
    // docs/performance.md, "Sizes and start-up": dist/s3sync at most 16 MB, the static one at most 22 MB (decimal megabytes).
    private const long DynamicLimit = 16_000_000;
    private const long StaticLimit = 22_000_000;

    [Fact]
    public async Task Published_binary_prints_the_informational_version_with_the_commit()
    {
        var expected = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        var run = await Binary.RunAsync(["--version"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(expected + "\n", run.Output);
        Assert.Equal(expected, Program.Version);
    }

    [Fact]
    public void Published_binary_is_at_most_16_MB()
    {
        Assert.InRange(new FileInfo(Binary.Path).Length, 1, DynamicLimit);
    }

    [RootfsFact]
    public void Static_binary_of_the_scratch_image_is_at_most_22_MB()
    {
        Assert.InRange(new FileInfo(Path.Combine(Rootfs.Path, "s3sync")).Length, 1, StaticLimit);
    }
}
