using S3Sync.Tests.Support;

namespace S3Sync.Tests.Packaging;

/// <summary>The .deb of <c>./build.sh package</c> (<c>dist/s3sync_*.deb</c>; <c>S3SYNC_DEB</c> names another).</summary>
public static class DebPackage
{
    public static string? Path => Environment.GetEnvironmentVariable("S3SYNC_DEB") is { Length: > 0 } p ? p
        : Directory.Exists(System.IO.Path.Combine(S3ServerFixture.RepoRoot, "dist"))
            ? Directory.GetFiles(System.IO.Path.Combine(S3ServerFixture.RepoRoot, "dist"), "s3sync_*.deb").OrderDescending(StringComparer.Ordinal).FirstOrDefault()
            : null;

    /// <summary>Why the package cannot be installed here, or null.</summary>
    public static string? Unusable()
    {
        if (!CliProcess.IsRoot) return "not root: dpkg -i would need it (CI runs as root)";
        if (!File.Exists("/usr/bin/dpkg")) return "dpkg is missing (not a Debian system)";
        if (Path is null) return "no dist/s3sync_*.deb: run ./build.sh package (./build.sh test makes it)";
        if (File.Exists("/var/lib/dpkg/info/s3sync.list")) return "a package named s3sync is already installed here: not replaced by a test";
        return null;
    }
}

/// <summary>A test that installs the package into the real system; skipped, saying why, where it cannot.</summary>
public sealed class DebFactAttribute : FactAttribute
{
    public DebFactAttribute()
    {
        if (DebPackage.Unusable() is { } why) Skip = why;
    }
}

/// <summary>
/// <c>./build.sh package</c>'s .deb installed with <c>dpkg -i</c> into this machine, its files checked and the
/// installed binary run, then removed with <c>dpkg -r</c>, which must leave none of them behind.
/// </summary>
public sealed class DebPackageTests
{
    private static readonly string[] Files =
    [
        "/usr/bin/s3sync",
        "/usr/share/man/man1/s3sync.1.gz",
        "/usr/share/bash-completion/completions/s3sync",
        "/usr/share/zsh/vendor-completions/_s3sync",
        "/usr/share/fish/vendor_completions.d/s3sync.fish",
        "/lib/systemd/system/s3sync.service",
        "/usr/share/doc/s3sync/examples/config.yml",
    ];

    /// <summary>dpkg wants ldconfig and start-stop-daemon on the PATH.</summary>
    private static readonly Dictionary<string, string> SystemPath = new() { ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };

    [DebFact]
    public async Task The_package_installs_a_working_s3sync_and_removes_it_cleanly()
    {
        var deb = DebPackage.Path!;
        try
        {
            var install = await Binary.RunAsync("dpkg", ["-i", deb], SystemPath, timeout: TimeSpan.FromMinutes(3));
            Assert.True(install.ExitCode == 0, install.ToString());

            foreach (var file in Files) Assert.True(File.Exists(file), $"{file} is not installed");
            var version = await Binary.RunAsync("/usr/bin/s3sync", ["--version"]);
            var built = await Binary.RunAsync(["--version"]);
            Assert.Equal(0, version.ExitCode);
            Assert.Equal(built.Output, version.Output);
            var unit = File.ReadAllText("/lib/systemd/system/s3sync.service");
            Assert.Contains("ExecStart=/usr/bin/s3sync watch", unit);
            Assert.DoesNotContain("/usr/local/bin", unit);
            var completion = await Binary.RunAsync("bash", ["-c", "source /usr/share/bash-completion/completions/s3sync; COMP_WORDS=(s3sync sy); COMP_CWORD=1; _s3sync; echo \"${COMPREPLY[*]}\""]);
            Assert.Equal("sync\n", completion.Output);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
                File.GetUnixFileMode("/usr/bin/s3sync"));
        }
        finally
        {
            var remove = await Binary.RunAsync("dpkg", ["-r", "s3sync"], SystemPath, timeout: TimeSpan.FromMinutes(3));
            Assert.True(remove.ExitCode == 0, remove.ToString());
        }
        foreach (var file in Files) Assert.False(File.Exists(file), $"{file} is left after dpkg -r");
    }
}
