using System.Diagnostics;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// Folders as part of the backup (<c>folders: true</c>, the default): each folder a zero-byte <c>key/</c> marker with
/// its mode, owner and mtime; restored with them, empty ones too, and compared by verify. Checked with find(1) and
/// stat(1) on both trees and with the bucket's own listing and HEADs, not with s3sync.
/// </summary>
[Collection("s3")]
public sealed class FolderScenarioTests(S3ServerFixture server)
{
    private static readonly bool Root = Environment.IsPrivilegedProcess;

    /// <summary>An /etc-like tree: a 0710 folder of another group (as root; our own otherwise), empty folders, a sticky
    /// one, and folder mtimes set after their content.</summary>
    private static void WriteEtc(Scenario s)
    {
        s.Write("ssl/private/host.key", "key");
        s.Write("ssl/certs/ca.pem", "pem");
        s.Write("hosts", "127.0.0.1 localhost");
        Directory.CreateDirectory(Path.Combine(s.Local, "apt/keyrings"));
        Directory.CreateDirectory(Path.Combine(s.Local, "apt/preferences.d"));
        Directory.CreateDirectory(Path.Combine(s.Local, "spool/empty"));
        File.SetUnixFileMode(Path.Combine(s.Local, "ssl/private/host.key"), (UnixFileMode)0x180);
        Run("chmod", "0710", Path.Combine(s.Local, "ssl/private"));
        Run("chmod", "1777", Path.Combine(s.Local, "spool"));
        Run("chmod", "0700", Path.Combine(s.Local, "apt/keyrings"));
        if (Root) Run("chown", "0:42", Path.Combine(s.Local, "ssl/private"), Path.Combine(s.Local, "ssl/private/host.key"));
        var stamp = 0;
        foreach (var folder in new[] { "ssl/private", "ssl/certs", "ssl", "apt/keyrings", "apt/preferences.d", "apt", "spool/empty", "spool" })
            Run("touch", "-m", "-d", $"2011-0{1 + stamp % 9}-0{1 + stamp++ % 9} 10:11:12.{stamp}23456789 UTC", Path.Combine(s.Local, folder));
    }

    /// <summary>Every entry below <paramref name="dir"/>: path, mode, owner, group, mtime (ns), type.</summary>
    private static string Tree(string dir) => Run("sh", "-c", $"cd '{dir}' && find . -mindepth 1 -printf '%P %m %U %G %T@ %y\\n' | LC_ALL=C sort");

    [Fact]
    public async Task An_etc_like_tree_round_trips_with_folder_modes_owners_mtimes_and_empty_folders()
    {
        using var s = await Scenario.CreateAsync(server);
        WriteEtc(s);
        s.SiteConfig("bucket_path: etc\nfolders: true");
        var before = Tree(s.Local);

        var sync = await s.SyncAsync();

        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Equal(["etc/apt/", "etc/apt/keyrings/", "etc/apt/preferences.d/", "etc/hosts", "etc/spool/", "etc/spool/empty/",
            "etc/ssl/", "etc/ssl/certs/", "etc/ssl/certs/ca.pem", "etc/ssl/private/", "etc/ssl/private/host.key"], await s.KeysAsync());
        var marker = await server.Client.GetObjectMetadataAsync(s.Bucket, "etc/ssl/private/");
        Assert.Equal(0, marker.ContentLength);
        Assert.Equal("40710", marker.Metadata["mode"]);
        Assert.Equal(Run("stat", "-c", "%Y", Path.Combine(s.Local, "ssl/private")), marker.Metadata["mtime"].Split('.')[0]);
        Assert.Equal(Root ? "42" : Run("id", "-g"), marker.Metadata["gid"]);
        Assert.Contains("uploaded 0 files", (await s.SyncAsync()).Output); // a second run writes no marker again

        var target = Path.Combine(s.Root, "restored");
        var restore = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(before, Tree(target));
        Assert.Equal(before, Tree(s.Local)); // the source untouched
        var verify = await s.RunAsync("verify", "-c", s.ConfigPath, "--to", target, "--deep");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("0 differences", verify.Output);
    }

    [Fact]
    public async Task A_changed_folder_rewrites_its_marker_a_removed_one_is_deleted_and_verify_sees_both()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a/b/file.txt", "x");
        Directory.CreateDirectory(Path.Combine(s.Local, "gone/empty"));
        s.SiteConfig("folders: true");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        Run("chmod", "0750", Path.Combine(s.Local, "a"));
        Directory.Delete(Path.Combine(s.Local, "gone"), recursive: true);

        var verify = await s.RunAsync("verify", "-c", s.ConfigPath, "--deep");
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("* a/", verify.Output);
        Assert.Contains("gone/empty/", verify.Output);

        var sync = await s.SyncAsync("--delete");

        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Equal(["a/", "a/b/", "a/b/file.txt"], await s.KeysAsync());
        Assert.Equal("40750", (await server.Client.GetObjectMetadataAsync(s.Bucket, "a/")).Metadata["mode"]);
        Assert.Contains("deleted 2", sync.Output); // the two markers, counted as deletions
    }

    [Fact]
    public async Task With_folders_false_no_marker_is_written_and_other_markers_are_left_alone()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a/file.txt", "x");
        Directory.CreateDirectory(Path.Combine(s.Local, "empty"));
        await server.PutAsync(s.Bucket, "foreign/", []);
        s.SiteConfig("folders: false");

        var sync = await s.SyncAsync("--delete");

        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Equal(["a/file.txt", "foreign/"], await s.KeysAsync());
    }

    [Fact]
    public async Task Hostile_markers_are_refused_one_line_each_and_their_bits_obey_the_owner_rules()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("file.txt", "x");
        s.SiteConfig("folders: true");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var mtime = "1300000000.000000000";
        var dotted = await PutMarkerAsync(s, "../escape/", "40755", mtime); // a server may refuse the key itself
        await PutMarkerAsync(s, "a//", "40755", mtime);
        await PutMarkerAsync(s, "file.txt/", "40755", mtime);         // a file of that name is in the bucket and on disk
        await PutMarkerAsync(s, "setid/", "47777", mtime, uid: "0");   // setuid, setgid and sticky, owned by root
        await PutMarkerAsync(s, "as-file/", "100644", mtime);          // a file's mode on a folder marker
        var target = Path.Combine(s.Root, "out");

        var restore = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target, "--no-owner");

        Assert.Equal(3, restore.ExitCode);
        if (dotted) Assert.Contains("../escape/: not restored: the key has a '..' segment", restore.Output);
        Assert.Contains("a//: not restored: the key has an empty path segment", restore.Output);
        Assert.Contains("file.txt/: not restored: 'file.txt' is also an object", restore.Output);
        Assert.Contains("as-file/: not applied: the stored mode 100644 of a folder marker is not a folder's", restore.Output);
        Assert.False(Directory.Exists(Path.Combine(s.Root, "escape")));
        Assert.Equal("x", File.ReadAllText(Path.Combine(target, "file.txt")));
        // --no-owner: the sticky bit stays, setuid and setgid do not; the owner is whoever restored.
        Assert.Equal($"1777 {Run("id", "-u")}", Run("stat", "-c", "%a %u", Path.Combine(target, "setid")));
        Assert.Equal("1300000000", Run("stat", "-c", "%Y", Path.Combine(target, "setid")));
    }

    [Fact]
    public async Task A_folder_swapped_for_a_link_before_its_metadata_is_applied_fails_its_key_and_the_links_target_is_untouched()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a/f.txt", "x");
        Run("chmod", "0700", Path.Combine(s.Local, "a"));
        Run("touch", "-m", "-d", "2005-05-05 05:05:05 UTC", Path.Combine(s.Local, "a"));
        s.SiteConfig("folders: true");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var outside = Path.Combine(s.Root, "outside");
        Directory.CreateDirectory(outside);
        Run("chmod", "0755", outside);
        var before = Run("stat", "-c", "%a %u %g %Y", outside);
        var target = Path.Combine(s.Root, "out");
        // The seam: between the plan and the folder's metadata, "a" becomes a link to a folder outside the target.
        S3Sync.Execution.FolderRestore.BeforeApply.Value = key =>
        {
            if (key != "a/") return;
            Directory.Move(Path.Combine(target, "a"), Path.Combine(target, "a-moved"));
            Directory.CreateSymbolicLink(Path.Combine(target, "a"), outside);
        };

        var restore = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);

        S3Sync.Execution.FolderRestore.BeforeApply.Value = null;
        Assert.True(restore.ExitCode == 3, restore.ToString());
        Assert.Contains("a/: ", restore.Output);
        Assert.Contains("is in the way", restore.Output);
        Assert.Equal(before, Run("stat", "-c", "%a %u %g %Y", outside));
    }

    private async Task<bool> PutMarkerAsync(Scenario s, string key, string mode, string mtime, string? uid = null)
    {
        var request = new Amazon.S3.Model.PutObjectRequest { BucketName = s.Bucket, Key = key, InputStream = new MemoryStream(), UseChunkEncoding = false, MD5Digest = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(ReadOnlySpan<byte>.Empty)) };
        request.Metadata["mode"] = mode;
        request.Metadata["mtime"] = mtime;
        if (uid is not null) request.Metadata["uid"] = uid;
        try { await server.Client.PutObjectAsync(request); return true; }
        catch (Amazon.S3.AmazonS3Exception) { return false; }
    }

    private static string Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
        return text;
    }
}
