using System.Collections.Concurrent;
using System.Diagnostics;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Execution;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Tests.Support;
using static S3Sync.Tests.Support.TestData;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// Issue #23, the restore path: a temporary file swapped before its rename, bytes corrupted on the way, hostile
/// metadata, the bandwidth limit, and fsync; each checked on the disk and in the hash cache, against the real server.
/// </summary>
[Collection("s3")]
public sealed class RestoreTrustTests(S3ServerFixture server)
{
    private const int MiB = 1024 * 1024;

    private async Task PutAsync(string bucket, string key, byte[] body, IReadOnlyDictionary<string, string> metadata)
    {
        var put = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body), UseChunkEncoding = false, MD5Digest = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(body)) };
        foreach (var (name, value) in metadata) put.Metadata[name] = value;
        await server.Client.PutObjectAsync(put);
    }

    [Fact]
    public async Task A_temporary_file_swapped_for_anothers_before_its_rename_fails_the_key_and_gets_nothing_of_the_object()
    {
        // Given a setuid root tool in a folder someone else could write to, and a plain file beside it
        using var s = await Scenario.CreateAsync(server);
        await PutAsync(s.Bucket, "shared/tool", "genuine tool"u8.ToArray(), new Dictionary<string, string> { ["mode"] = "104755", ["uid"] = "0", ["gid"] = "0", ["mtime"] = "1600000000.000000000" });
        await PutAsync(s.Bucket, "plain.txt", "plain"u8.ToArray(), new Dictionary<string, string> { ["mode"] = "100644", ["mtime"] = "1600000000.000000000" });
        s.SiteConfig();
        var target = Path.Combine(s.Root, "out");
        // ... and whoever writes to it unlinking the temporary file and putting their own under its name, at the moment
        // between the restore's checks and its rename
        var attacker = "attacker's payload"u8.ToArray();
        var swapped = 0;
        Downloader.BeforeRename.Value = (folder, temp) =>
        {
            var dir = new FileInfo($"/proc/self/fd/{folder.DangerousGetHandle()}").LinkTarget!;
            if (!dir.EndsWith("/shared", StringComparison.Ordinal) || Interlocked.Exchange(ref swapped, 1) == 1) return;
            File.Delete(Path.Combine(dir, temp));
            File.WriteAllBytes(Path.Combine(dir, temp), attacker);
            File.SetUnixFileMode(Path.Combine(dir, temp), (UnixFileMode)0x1A4);
        };
        RunResult run;
        try
        {
            // When it is restored as root
            run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);
        }
        finally
        {
            Downloader.BeforeRename.Value = null;
        }

        // Then that key fails (exit 3), one line naming it ...
        Assert.Equal(1, swapped);
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("shared/tool: the temporary file was replaced before it took its name", run.Output + run.Error);
        Assert.Contains("failed 1", run.Output);
        // ... no file holds the setuid bit or the stored mode, the attacker's file is as they made it ...
        Assert.DoesNotContain(Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories), p => (File.GetUnixFileMode(p) & (UnixFileMode.SetUser | UnixFileMode.SetGroup)) != 0);
        var tool = Path.Combine(target, "shared/tool");
        if (File.Exists(tool)) Assert.Equal((Convert.ToHexString(attacker), "644"), (Convert.ToHexString(File.ReadAllBytes(tool)), Stat("%a", tool)));
        Assert.Equal(("plain", "644"), (File.ReadAllText(Path.Combine(target, "plain.txt")), Stat("%a", Path.Combine(target, "plain.txt"))));
        // ... and no hash-cache row claims the attacker's file (the plain file's row is there)
        var rows = HashCacheFile.Md5Lengths(Path.Combine(s.Root, "state"));
        Assert.Contains("plain.txt", rows.Keys);
        Assert.DoesNotContain("shared/tool", rows.Keys);
        // A second restore replaces the attacker's file with the tool, all of it proved
        var again = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(("genuine tool", "4755 0"), (File.ReadAllText(tool), Stat("%a %u", tool)));
    }

    [Fact]
    public async Task A_metadata_fix_that_would_give_another_users_file_the_stored_owner_downloads_the_object_afresh()
    {
        // Given a setuid root tool restored once, then handed to another user (who could rewrite it at any moment)
        using var s = await Scenario.CreateAsync(server);
        await PutAsync(s.Bucket, "tool", "genuine tool"u8.ToArray(), new Dictionary<string, string> { ["mode"] = "104755", ["uid"] = "0", ["gid"] = "0", ["mtime"] = "1600000000.0" });
        s.SiteConfig();
        var target = Path.Combine(s.Root, "out");
        Assert.Equal(0, (await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target)).ExitCode);
        var tool = Path.Combine(target, "tool");
        Run("chown", "65534:65534", tool);
        var before = Stat("%i %u %a", tool);
        Assert.Equal("65534 755", before[(before.IndexOf(' ', StringComparison.Ordinal) + 1)..]);

        // When it is restored again as root
        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);

        // Then the owner and the setuid bit are not given to that user's inode: the object comes again, in a file of ours
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("restored 1 files", run.Output);
        var after = Stat("%i %u %a", tool).Split(' ');
        Assert.NotEqual(before.Split(' ')[0], after[0]);
        Assert.Equal(("0", "4755", "genuine tool"), (after[1], after[2], File.ReadAllText(tool)));
    }

    [Theory]
    [InlineData("s3sync-one-pass")]
    [InlineData("8-MiB-parts")]
    public async Task A_byte_flipped_on_the_way_fails_a_multipart_object_without_a_stored_md5_and_writes_no_file(string uploader)
    {
        // Given a 20 MiB object uploaded by s3sync in one pass (part MD5s, no whole-file MD5 stored) or in 8 MiB parts
        // as aws s3 cp does (no metadata at all)
        using var s = await Scenario.CreateAsync(server);
        var body = Bytes(20 * MiB, 23);
        if (uploader == "s3sync-one-pass")
        {
            // As s3sync's one-pass upload stores it (a sync takes one pass only for a file older than the racy margin,
            // which would make the test wait): 8 MiB parts, s3sync-part-size, mode and mtime, no s3sync-md5
            await server.PutMultipartAsync(s.Bucket, "big.bin", body, 8 * MiB, new Dictionary<string, string>
            {
                [UploadHeaders.PartSizeKey] = "8388608", ["mode"] = "100644", ["mtime"] = "1600000000.0",
            });
        }
        else
        {
            await server.PutMultipartAsync(s.Bucket, "big.bin", body, 8 * MiB);
        }
        Assert.EndsWith("-3", (await server.ListAsync(s.Bucket)).Single().ETag.Trim('"'));
        // ... and a proxy that flips one byte of every answer's body to a GET of it
        using var proxy = new FaultProxy(server.Endpoint);
        var flip = true;
        proxy.FlipByte = (method, target) => flip && method == "GET" && target.Contains("/big.bin", StringComparison.Ordinal) ? 1000 : null;
        s.Endpoint = proxy.Endpoint;
        s.SiteConfig();
        var restored = Path.Combine(s.Root, "out");

        // When it is restored through the proxy
        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", restored);

        // Then the key fails on one line, exit 3, and nothing is under its name (nor a temporary file)
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("big.bin: the downloaded bytes do not match the ETag", run.Output + run.Error);
        Assert.DoesNotContain("unverified", run.Output + run.Error);
        Assert.False(File.Exists(Path.Combine(restored, "big.bin")));
        Assert.Empty(Directory.EnumerateFiles(restored, "*", SearchOption.AllDirectories));
        // And with the bytes as they are, the same restore proves and writes it
        flip = false;
        var clean = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", restored);
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.DoesNotContain("unverified", clean.Output + clean.Error);
        Assert.Equal(body, File.ReadAllBytes(Path.Combine(restored, "big.bin")));
    }

    [Fact]
    public async Task Objects_nothing_can_prove_are_written_with_one_warning_per_run_and_verify_cannot_compare_them()
    {
        // Given two objects encrypted by another tool (SSE-KMS: the ETag is no MD5) with no MD5 in their metadata
        using var s = await Scenario.CreateAsync(server);
        var kms = Environment.GetEnvironmentVariable("S3SYNC_TEST_KMS_KEY_ID") is { Length: > 0 } id ? id : "s3sync-test-kms-1";
        var bodies = new Dictionary<string, byte[]> { ["a.bin"] = Bytes(1000, 1), ["b.bin"] = Bytes(2000, 2) };
        foreach (var (key, body) in bodies)
        {
            await server.Client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = s.Bucket, Key = key, InputStream = new MemoryStream(body), UseChunkEncoding = false,
                MD5Digest = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(body)),
                ServerSideEncryptionMethod = Amazon.S3.ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = kms,
            });
        }
        s.SiteConfig();
        var target = Path.Combine(s.Root, "out");

        // When they are restored (the binary: its log lines are asserted)
        var run = await Binary.RunAsync(["restore", "-c", s.ConfigPath, "--to", target]);

        // Then both are written, with one warning line for the run that counts them
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var (key, body) in bodies) Assert.Equal(body, File.ReadAllBytes(Path.Combine(target, key)));
        var lines = (run.Output + run.Error).Split('\n').Where(l => l.Contains("unverified", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, run.ToString());
        Assert.Contains("2 objects written unverified", lines[0]);
        // And verify of the restored folder says it cannot compare them
        var config = Path.Combine(s.Root, "restored.yml");
        File.WriteAllText(config, File.ReadAllText(s.ConfigPath).Replace($"local_path: {s.Local}", $"local_path: {target}", StringComparison.Ordinal));
        var verify = await s.RunAsync("verify", "-c", config);
        Assert.Contains("cannot compare", verify.Output + verify.Error);
    }

    [Fact]
    public async Task The_bandwidth_limit_applies_to_restore_downloads()
    {
        // Given a 3 MiB object
        using var s = await Scenario.CreateAsync(server);
        var body = Bytes(3 * MiB, 9);
        s.Write("three.bin", body);
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "out");

        // When it is restored (the binary: the limit is the process's) at 1 MiB/s
        var clock = Stopwatch.StartNew();
        var run = await Binary.RunAsync(["restore", "-c", s.ConfigPath, "--to", target, "--bwlimit", "1MiB/s"]);
        clock.Stop();

        // Then it takes at least about 3 s (a tenth of a second's burst aside), and the file is whole
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(body, File.ReadAllBytes(Path.Combine(target, "three.bin")));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.5), $"restored 3 MiB at 1 MiB/s in {clock.Elapsed}");
    }

    public static TheoryData<string, string, string, string> HostileMetadata => new()
    {
        // key, mode, link target (percent-encoded as stored) or "", mtime | expected error
        { "nul-link|120777|abc%00def|1600000000.0", "preserve", "nul-link", "the stored link target holds a NUL character" },
        { "far-future|100644||99999999999.999999999", "preserve", "far-future", "the stored mtime '99999999999.999999999' is not a time a file can have" },
        { "before-1901|100644||-3000000000.0", "preserve", "before-1901", "is outside the range a file system holds" },
        { "file-mode-link|100644|%2Fetc%2Fpasswd|1600000000.0", "preserve", "file-mode-link", "holds a link target but its mode 100644 is not a link's" },
        { "link-mode-file|120777||1600000000.0", "preserve", "link-mode-file", "the object's mode is a link's but it holds no link target" },
        { "device|20644||1600000000.0", "skip", "device", "the stored mode 20644 is not a regular file's" },
    };

    [Theory]
    [MemberData(nameof(HostileMetadata))]
    public async Task Hostile_metadata_fails_its_key_on_one_line_and_nothing_is_written(string spec, string symlinks, string key, string error)
    {
        // Given an object whose metadata is hostile, beside a good one
        using var s = await Scenario.CreateAsync(server);
        var f = spec.Split('|');
        var metadata = new Dictionary<string, string> { ["mode"] = f[1], ["mtime"] = f[3] };
        if (f[2].Length > 0) metadata["s3sync-symlink"] = f[2];
        await PutAsync(s.Bucket, key, "/etc/passwd"u8.ToArray(), metadata);
        await PutAsync(s.Bucket, "good.txt", "good"u8.ToArray(), new Dictionary<string, string> { ["mode"] = "100640", ["mtime"] = "1600000000.5" });
        s.SiteConfig($"symlinks: {symlinks}");
        var target = Path.Combine(s.Root, "out");

        // When the folder is restored
        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);

        // Then that key fails with one line naming it and why, nothing of that name exists, the good one is there
        Assert.True(run.ExitCode == 3, run.ToString());
        var lines = (run.Output + run.Error).Split('\n').Where(l => l.Contains(key, StringComparison.Ordinal) && !l.Contains("restored", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1 && lines[0].Contains(error, StringComparison.Ordinal), run.ToString());
        Assert.False(File.Exists(Path.Combine(target, key)) || new FileInfo(Path.Combine(target, key)).LinkTarget is not null);
        Assert.Equal(["good.txt"], Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName));
        Assert.Equal("640 1600000000.500000000", Stat("%a %.9Y", Path.Combine(target, "good.txt")));
    }

    [Theory]
    [InlineData("skip")]
    [InlineData("follow")]
    public async Task A_link_object_is_not_restored_as_a_link_outside_preserve_mode_and_a_second_restore_restores_nothing(string mode)
    {
        // Given a link object (as symlinks: preserve uploads it) and a file
        using var s = await Scenario.CreateAsync(server);
        await PutAsync(s.Bucket, "to-passwd", "/etc/passwd"u8.ToArray(), new Dictionary<string, string> { ["mode"] = "120777", ["mtime"] = "1600000000.0", ["s3sync-symlink"] = "%2Fetc%2Fpasswd" });
        await PutAsync(s.Bucket, "file.txt", "file"u8.ToArray(), new Dictionary<string, string> { ["mode"] = "100644", ["mtime"] = "1600000000.0" });
        s.SiteConfig($"symlinks: {mode}");
        var target = Path.Combine(s.Root, "out");

        // When it is restored in skip or follow mode, twice
        var first = await Binary.RunAsync(["restore", "-c", s.ConfigPath, "--to", target]);
        var second = await Binary.RunAsync(["restore", "-c", s.ConfigPath, "--to", target]);

        // Then the link is neither a link nor a file, the run's summary of links counts it, and the second run restores
        // nothing
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.False(File.Exists(Path.Combine(target, "to-passwd")) || new FileInfo(Path.Combine(target, "to-passwd")).LinkTarget is not null);
        Assert.Contains("1 symbolic links", first.Output + first.Error);
        Assert.Contains("to-passwd", first.Output + first.Error);
        Assert.Contains("restored 1 files", first.Output);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("restored 0 files", second.Output);
        Assert.Contains("metadata set 0", second.Output);
        Assert.Equal(["file.txt"], Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName));
    }

    [Fact]
    public async Task No_owner_clears_setuid_and_setgid_and_a_second_restore_changes_nothing()
    {
        // Given a setuid and setgid root tool
        using var s = await Scenario.CreateAsync(server);
        await PutAsync(s.Bucket, "tool", "tool"u8.ToArray(), new Dictionary<string, string> { ["mode"] = "106755", ["uid"] = "0", ["gid"] = "0", ["mtime"] = "1600000000.0" });
        s.SiteConfig();
        var target = Path.Combine(s.Root, "out");

        // When it is restored with --no-owner, twice
        var first = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target, "--no-owner");
        var second = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target, "--no-owner");

        // Then it has the mode without those bits, and the second run finds nothing to do
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal("755", Stat("%a", Path.Combine(target, "tool")));
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("restored 0 files", second.Output);
        Assert.Contains("metadata set 0", second.Output);
        Assert.Contains("unchanged 1", second.Output);
    }

    [Fact]
    public async Task A_key_ending_in_a_slash_that_holds_data_is_reported()
    {
        using var s = await Scenario.CreateAsync(server);
        await server.PutAsync(s.Bucket, "notes/", "data in a folder marker"u8.ToArray());
        await server.PutAsync(s.Bucket, "empty-marker/", []);
        await server.PutAsync(s.Bucket, "notes/a.txt", "a"u8.ToArray());
        s.SiteConfig();
        var target = Path.Combine(s.Root, "out");

        var run = await Binary.RunAsync(["restore", "-c", s.ConfigPath, "--to", target]);

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = (run.Output + run.Error).Split('\n').Where(l => l.Contains("hold data", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, run.ToString());
        Assert.Contains("1 keys ending in '/' hold data", lines[0]);
        Assert.Contains("notes/", lines[0]);
        Assert.DoesNotContain("empty-marker/", lines[0]);
        Assert.Equal("a", File.ReadAllText(Path.Combine(target, "notes/a.txt")));
    }

    [Fact]
    public async Task Each_file_is_flushed_before_its_rename_and_each_folder_after_its_renames()
    {
        // Given three files in three folders
        using var s = await Scenario.CreateAsync(server);
        string[] keys = ["top.txt", "d/mid.txt", "d/e/low.bin"];
        foreach (var key in keys) s.Write(key, Bytes(key.Length * 1000, key.Length));
        var site = s.LoadSite();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "out");
        using var store = S3ObjectStore.ForSite(site, 4, 2);

        // When they are restored, each fsync and rename traced as it happens
        var steps = new ConcurrentQueue<(string Call, FileIdentity Inode, string? Name)>();
        TargetFolder.Trace.Value = (call, inode, name) => steps.Enqueue((call, inode, name));
        SiteResult result;
        try
        {
            result = await new SiteRestore(site with { LocalPath = target }, store, DirectDigestSource.Instance, new RestoreSettings(2, Owner: false), NullLogger.Instance).RunAsync(default);
        }
        finally
        {
            TargetFolder.Trace.Value = null;
        }

        // Then each file's inode was flushed before the rename that gave it its name, and its folder after that rename
        Assert.True(result.Status == SiteStatus.Done, string.Join("; ", result.Problems));
        var trace = steps.ToList();
        foreach (var key in keys)
        {
            var file = Identity(Path.Combine(target, key));
            var folder = Identity(Path.GetDirectoryName(Path.Combine(target, key))!);
            var renamed = trace.FindIndex(t => t.Call == "rename" && t.Inode == folder && t.Name == Path.GetFileName(key));
            Assert.True(renamed >= 0, $"{key}: no rename in {string.Join(", ", trace)}");
            Assert.True(trace.FindIndex(t => t.Call == "fsync" && t.Inode == file) is >= 0 and var f && f < renamed, $"{key}: the file was not flushed before its rename");
            Assert.True(trace.FindLastIndex(t => t.Call == "fsync" && t.Inode == folder) > renamed, $"{key}: its folder was not flushed after the rename");
        }
        // ... each folder once (batched): the three folders renamed into
        var files = keys.Select(k => Identity(Path.Combine(target, k))).ToHashSet();
        Assert.Equal(3, trace.Count(t => t.Call == "fsync" && !files.Contains(t.Inode)));
    }

    private static FileIdentity Identity(string path)
    {
        var fields = Stat("%d %i", path).Split(' ');
        var dev = ulong.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture);
        // stat(1) prints st_dev (makedev of major and minor); statx gives them apart
        return new FileIdentity(((dev >> 8) & 0xfff) << 32 | (dev & 0xff) | ((dev >> 12) & 0xfff00), ulong.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file}: {p.StandardError.ReadToEnd()}");
    }

    private static string Stat(string format, string path)
    {
        using var p = Process.Start(new ProcessStartInfo("stat", ["-c", format, path]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"stat {path}: {p.StandardError.ReadToEnd()}");
        return text;
    }
}
