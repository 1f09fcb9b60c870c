using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// The state folder lists every backed-up path (hash cache rows, mount records): the binary creates it 0700 and the
/// database 0600 whatever the umask, tightens an older world-readable one it owns, and warns about one it does not.
/// </summary>
[Collection("s3")]
public sealed class PrivateStateTests(S3ServerFixture server)
{
    private const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static string Octal(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);

    [Fact]
    public async Task A_new_state_folder_is_0700_and_its_database_0600()
    {
        // Given a state folder that does not exist yet (two levels), and the usual umask 022
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        var state = Path.Combine(s.Root, "state", "nested");
        s.SiteConfig();
        File.WriteAllText(s.ConfigPath, File.ReadAllText(s.ConfigPath).Replace($"state_dir: {Path.Combine(s.Root, "state")}", $"state_dir: {state}", StringComparison.Ordinal));

        // When the binary syncs
        var run = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);

        // Then the folder and every file of the database are private
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("700", Octal(state));
        var db = Path.Combine(state, "hashes.db");
        Assert.Equal("600", Octal(db));
        foreach (var file in Directory.GetFiles(state, "hashes.db*"))
            Assert.True((File.GetUnixFileMode(file) & Others) == 0, $"{file} is {Octal(file)}");
    }

    [Fact]
    public async Task An_older_world_readable_state_folder_and_database_are_tightened()
    {
        // Given a state folder 0755 and a database 0644 from an older version, owned by this user
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.SiteConfig();
        Assert.Equal(0, (await CliProcess.RunAsync(["sync", "-c", s.ConfigPath])).ExitCode);
        var state = Path.Combine(s.Root, "state");
        var db = Path.Combine(state, "hashes.db");
        File.SetUnixFileMode(state, (UnixFileMode)Convert.ToInt32("755", 8));
        File.SetUnixFileMode(db, (UnixFileMode)Convert.ToInt32("644", 8));

        // When the binary syncs again
        var run = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);

        // Then both are private again
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("700", Octal(state));
        Assert.Equal("600", Octal(db));
    }

    private static async Task Chown(string owner, string path)
    {
        using var chown = System.Diagnostics.Process.Start("chown", ["-h", owner, path])!;
        await chown.WaitForExitAsync();
        Assert.Equal(0, chown.ExitCode);
    }

    /// <summary>Issue #23, item 8: the attack as filed. As nobody: <c>mkdir -m777 st; ln -s /some/path st/hashes.db</c>;
    /// root's sync with that state folder created a root-owned SQLite file at /some/path listing every backed-up path.</summary>
    [Fact]
    public async Task A_state_folder_owned_by_another_user_stops_the_run_with_exit_2_and_creates_nothing_through_its_link()
    {
        Assert.True(CliProcess.IsRoot, "this test chowns a folder to nobody: it runs as root");
        // Given a state folder 0777 owned by nobody, holding a link hashes.db to a path that does not exist
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.SiteConfig();
        var state = Path.Combine(s.Root, "state");
        Directory.CreateDirectory(state);
        File.SetUnixFileMode(state, (UnixFileMode)Convert.ToInt32("777", 8));
        var victim = Path.Combine(s.Root, "victim.db");
        File.CreateSymbolicLink(Path.Combine(state, "hashes.db"), victim);
        await Chown("65534:65534", Path.Combine(state, "hashes.db"));
        await Chown("65534:65534", state);

        // When the binary syncs
        var run = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);

        // Then the run stops before anything is uploaded, with one line naming the folder and a fix that works
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"s3sync: state folder {state} is owned by uid 65534, not by this user (uid 0): it lists every backed-up path and decides what is uploaded; create a folder you own with mode 700 (mkdir -m 700 DIR) and point state_dir or --state-dir at it", run.Error);
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("state folder", StringComparison.Ordinal));
        Assert.False(File.Exists(victim), "a file was created through the link");
        Assert.Empty(await s.KeysAsync());
        Assert.Equal("777", Octal(state));
    }

    /// <summary>Issue #23, item 8: a root-owned link <c>hashes.db -> victim.conf</c> made s3sync chmod the target 0600.</summary>
    [Theory]
    [InlineData("hashes.db")]
    [InlineData("hashes.db-wal")]
    [InlineData("hashes.db-journal")]
    [InlineData("settings")]
    [InlineData("mounts")]
    public async Task A_link_in_the_state_folder_stops_the_run_and_its_target_is_left_as_it_was(string name)
    {
        // Given this user's own private state folder, and in it a link (this user's) to a file elsewhere, mode 644
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.SiteConfig();
        var state = Path.Combine(s.Root, "state");
        Directory.CreateDirectory(state);
        File.SetUnixFileMode(state, StateFolderMode);
        var victim = Path.Combine(s.Root, "victim.conf");
        File.WriteAllText(victim, "setting = 1\n");
        File.SetUnixFileMode(victim, (UnixFileMode)Convert.ToInt32("644", 8));
        File.CreateSymbolicLink(Path.Combine(state, name), victim);

        // When the binary syncs
        var run = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);

        // Then it stops with one line naming the link, and the target's mode and bytes are unchanged
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"s3sync: state folder {state} holds a symbolic link {name}: s3sync opens nothing in its state folder through a link; remove {Path.Combine(state, name)}", run.Error);
        Assert.Equal("644", Octal(victim));
        Assert.Equal("setting = 1\n", File.ReadAllText(victim));
        Assert.Empty(await s.KeysAsync());
    }

    [Fact]
    public async Task A_database_hard_linked_to_a_file_elsewhere_stops_the_run_and_the_file_is_left_as_it_was()
    {
        // Given this user's private state folder whose hashes.db is a second name of a file elsewhere, empty, mode 644
        // (SQLite would write its schema into it; tightening would chmod it)
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.SiteConfig();
        var state = Path.Combine(s.Root, "state");
        Directory.CreateDirectory(state);
        File.SetUnixFileMode(state, StateFolderMode);
        var victim = Path.Combine(s.Root, "victim.conf");
        File.WriteAllText(victim, "");
        File.SetUnixFileMode(victim, (UnixFileMode)Convert.ToInt32("644", 8));
        using (var ln = System.Diagnostics.Process.Start("ln", [victim, Path.Combine(state, "hashes.db")])!) await ln.WaitForExitAsync();

        // When the binary syncs
        var run = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);

        // Then it stops with one line, and the other file is untouched
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"s3sync: {Path.Combine(state, "hashes.db")} in the state folder has 2 hard links: it is also another file; remove it", run.Error);
        Assert.Equal("644", Octal(victim));
        Assert.Equal(0, new FileInfo(victim).Length);
        Assert.Empty(await s.KeysAsync());
    }

    [Fact]
    public async Task A_state_folder_of_this_user_writable_by_others_stops_the_run_with_the_chmod_that_fixes_it()
    {
        // Given this user's state folder, mode 777
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.SiteConfig();
        var state = Path.Combine(s.Root, "state");
        Directory.CreateDirectory(state);
        File.SetUnixFileMode(state, (UnixFileMode)Convert.ToInt32("777", 8));

        // When the binary syncs, it stops and names the fix; after the fix it runs
        var run = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"s3sync: state folder {state} is writable by others (mode 777): whoever can write in it can plant links that s3sync would follow; run chmod 700 {state} if the folder is s3sync's alone, else create a folder you own with mode 700 (mkdir -m 700 DIR) and point state_dir or --state-dir at it", run.Error);
        Assert.Empty(await s.KeysAsync());
        File.SetUnixFileMode(state, StateFolderMode);
        var fixedRun = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);
        Assert.True(fixedRun.ExitCode == 0, fixedRun.ToString());
        Assert.Equal(["a.txt"], await s.KeysAsync());
    }

    private const UnixFileMode StateFolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
}
