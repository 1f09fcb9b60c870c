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

    [Fact]
    public async Task A_world_readable_state_folder_owned_by_someone_else_is_warned_about_with_the_fix()
    {
        Assert.True(CliProcess.IsRoot, "this test chowns a folder to nobody: it runs as root");
        // Given a state folder 0755 owned by nobody
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.SiteConfig();
        var state = Path.Combine(s.Root, "state");
        Directory.CreateDirectory(state);
        File.SetUnixFileMode(state, (UnixFileMode)Convert.ToInt32("755", 8));
        using (var chown = System.Diagnostics.Process.Start("chown", ["65534:65534", state])) await chown.WaitForExitAsync();

        // When the binary syncs
        var run = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);

        // Then it is left alone and a warning names it, why it matters and the fix
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("755", Octal(state));
        Assert.Contains($"state folder {state} is readable by others (mode 755) and owned by uid 65534, not this user: it lists every backed-up path; run chmod 700 {state}", run.Error);
    }
}
