using System.Security.Cryptography;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Packaging;

/// <summary>Where <c>./build.sh rootfs</c> put the scratch image's contents: <c>S3SYNC_ROOTFS</c>, else <c>dist/rootfs</c>.</summary>
public static class Rootfs
{
    public static string Path => Environment.GetEnvironmentVariable("S3SYNC_ROOTFS") is { Length: > 0 } p
        ? p
        : System.IO.Path.Combine(S3ServerFixture.RepoRoot, "dist", "rootfs");

    public static bool Built => File.Exists(System.IO.Path.Combine(Path, "s3sync"));
}

/// <summary>A test that needs the rootfs; skipped, saying why, only when it has not been built.</summary>
public sealed class RootfsFactAttribute : FactAttribute
{
    public RootfsFactAttribute()
    {
        if (!Rootfs.Built) Skip = $"{Rootfs.Path} has not been built: run ./build.sh rootfs (./build.sh test builds it first)";
    }
}

/// <summary>
/// The scratch image's contents, proven here without Docker: <c>chroot ROOTFS /s3sync ...</c> sees only what the
/// image would (the binary, the CA bundle, /etc/passwd, /tmp), and shares the network namespace, so it reaches the
/// local server on 127.0.0.1.
/// </summary>
[Collection("s3")]
public sealed class RootfsTests(S3ServerFixture server)
{
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Rootfs_script_lays_out_exactly_the_scratch_images_files()
    {
        // Whatever binary is at hand: the layout does not depend on it.
        var outDir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "s3sync-rootfs-" + Guid.NewGuid().ToString("N")[..8]);
        var fakeBinary = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "s3sync-fake-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(fakeBinary, "#!/bin/true\n");
        try
        {
            var run = await Binary.RunAsync("sh", [System.IO.Path.Combine(S3ServerFixture.RepoRoot, "scripts", "rootfs.sh"), fakeBinary, "/etc/ssl/certs/ca-certificates.crt", outDir]);
            Assert.True(run.ExitCode == 0, run.ToString());
            var entries = Directory.EnumerateFileSystemEntries(outDir, "*", SearchOption.AllDirectories)
                .Select(e => "/" + System.IO.Path.GetRelativePath(outDir, e).Replace('\\', '/')).Order(StringComparer.Ordinal);
            Assert.Equal(["/dev", "/etc", "/etc/group", "/etc/passwd", "/etc/ssl", "/etc/ssl/certs", "/etc/ssl/certs/ca-certificates.crt",
                "/opt", "/opt/s3sync", "/proc", "/s3sync", "/tmp", "/var", "/var/lib", "/var/lib/s3sync"], entries);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.StickyBit, File.GetUnixFileMode(System.IO.Path.Combine(outDir, "tmp")));
            Assert.Contains("s3sync:x:65532:65532:", File.ReadAllText(System.IO.Path.Combine(outDir, "etc", "passwd")));
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
            File.Delete(fakeBinary);
        }
    }

    /// <summary>
    /// Runs <c>/s3sync ARGS</c> as a container runtime would start the image: in a private mount namespace with
    /// /dev and /proc mounted (they vanish with it), chrooted into the rootfs, as 65532:65532, with only the
    /// image's environment.
    /// </summary>
    private static Task<RunResult> InContainer(params string[] args) =>
        Binary.RunAsync("unshare", ["--mount", "--propagation", "private", "sh", "-c",
            "mount --rbind /dev \"$0/dev\" && mount -t proc proc \"$0/proc\" && exec chroot --userspec=65532:65532 \"$0\" /s3sync \"$@\"",
            Rootfs.Path, .. args],
            new Dictionary<string, string> { ["SSL_CERT_FILE"] = "/etc/ssl/certs/ca-certificates.crt", ["TMPDIR"] = "/tmp", ["HOME"] = "/var/lib/s3sync" });

    [RootfsFact]
    public async Task Static_binary_in_the_scratch_rootfs_syncs_as_the_non_root_user()
    {
        // Given a folder and a config inside the rootfs, as a container would have them mounted
        var bucket = await server.NewBucketAsync();
        var id = "t-" + Guid.NewGuid().ToString("N")[..8];
        var inside = System.IO.Path.Combine(Rootfs.Path, "tmp", id);
        var data = System.IO.Path.Combine(inside, "data");
        Directory.CreateDirectory(System.IO.Path.Combine(data, "sub"));
        try
        {
            var big = new byte[9 * 1024 * 1024];
            new Random(7).NextBytes(big);
            File.WriteAllText(System.IO.Path.Combine(data, "index.html"), "<h1>scratch</h1>");
            File.WriteAllBytes(System.IO.Path.Combine(data, "sub", "big.bin"), big);
            File.WriteAllText(System.IO.Path.Combine(inside, "config.yml"), $"""
                endpoint: {server.Endpoint}
                access_key: {server.AccessKey}
                secret_access_key: {server.SecretKey}
                sites:
                - local_path: /tmp/{id}/data
                  bucket: {bucket}
                  bucket_path: site
                  storage_class: STANDARD_IA
                """);

            // When the static binary runs chrooted, as 65532:65532 like the image's USER
            var version = await InContainer("--version");
            var run = await InContainer("sync", "-c", $"/tmp/{id}/config.yml");
            var verify = await InContainer("verify", "-c", $"/tmp/{id}/config.yml");

            // Then the bucket holds the files, byte for byte, with the storage class
            Assert.True(version.ExitCode == 0, version.ToString());
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.True(verify.ExitCode == 0, verify.ToString());
            var listed = (await server.ListAsync(bucket)).ToDictionary(o => o.Key);
            // (site/sub/ is the folder's marker: folders are part of the backup, issue #26)
            Assert.Equal(["site/index.html", "site/sub/", "site/sub/big.bin"], listed.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(0, listed["site/sub/"].Size);
            Assert.All(listed.Values, o => Assert.Equal("STANDARD_IA", o.StorageClass?.Value));
            Assert.Equal(ETag.FromParts([.. big.Chunk(8 * 1024 * 1024).Select(MD5.HashData)]), ETag.Normalize(listed["site/sub/big.bin"].ETag));
            Assert.Equal(big, await server.GetAsync(bucket, "site/sub/big.bin"));
            Assert.Equal("<h1>scratch</h1>"u8.ToArray(), await server.GetAsync(bucket, "site/index.html"));
        }
        finally
        {
            Directory.Delete(inside, recursive: true);
        }
    }
}
