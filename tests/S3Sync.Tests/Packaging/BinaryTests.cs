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
    public async Task Version_is_answered_before_the_runtime_starts_and_anything_more_goes_to_the_command_line_parser()
    {
        // Given an address-space limit of 64 MiB: enough to map the binary, far too little for the runtime's heap
        // reservation (a runtime start aborts), so only an answer before the runtime starts can print anything
        var expected = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        const string Limited = "ulimit -v 65536; exec \"$0\" \"$@\"";

        var version = await Binary.RunAsync("bash", ["-c", Limited, Binary.Path, "--version"]);
        var more = await Binary.RunAsync("bash", ["-c", Limited, Binary.Path, "--version", "x"]);
        var unlimited = await Binary.RunAsync(["--version", "x"]);

        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.Equal(expected + "\n", version.Output);
        Assert.Equal("", version.Error);
        // Then every other command line starts the runtime (it fails under the limit) and the parser answers as before
        Assert.NotEqual(0, more.ExitCode);
        Assert.Equal(0, unlimited.ExitCode);
        Assert.Equal(expected + "\n", unlimited.Output);
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
