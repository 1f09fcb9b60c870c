using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>A test that needs a shell; skipped, saying why, when it is not installed.</summary>
public sealed class ShellFactAttribute : FactAttribute
{
    public ShellFactAttribute(string shell)
    {
        if (CompletionTests.Find(shell) is null) Skip = $"{shell} is not installed here: its completion script is not run";
    }
}

/// <summary><c>s3sync completion bash|zsh|fish</c>: each script is generated from the command tree and, where the
/// shell is installed, loaded by it and asked what it would complete.</summary>
public sealed class CompletionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("s3sync-completion-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    private async Task<string> ScriptAsync(string shell)
    {
        var run = await Binary.RunAsync(["completion", shell]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var path = Path.Combine(_root, "s3sync." + shell);
        File.WriteAllText(path, run.Output);
        return path;
    }

    /// <summary>What bash's completion function offers for the words typed so far (the last one being completed).</summary>
    private async Task<string> BashCompleteAsync(string script, params string[] words)
    {
        var array = string.Join(' ', words.Select(w => "'" + w + "'"));
        var run = await Binary.RunAsync("bash", ["-c", $"source '{script}'; COMP_WORDS=({array}); COMP_CWORD={words.Length - 1}; _s3sync; echo \"${{COMPREPLY[*]}}\""]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Error);
        return run.Output.TrimEnd('\n');
    }

    [ShellFact("bash")]
    public async Task Bash_completes_commands_options_and_known_values()
    {
        var script = await ScriptAsync("bash");

        Assert.Equal("sync", await BashCompleteAsync(script, "s3sync", "sy"));
        Assert.Equal("check", await BashCompleteAsync(script, "s3sync", "config", "ch"));
        Assert.Equal("--dry-run", await BashCompleteAsync(script, "s3sync", "sync", "--dry"));
        Assert.Equal("--size-only", await BashCompleteAsync(script, "s3sync", "sync", "-c", "x.yml", "--size"));
        Assert.Equal("json text", await BashCompleteAsync(script, "s3sync", "sync", "--log-format", ""));
        Assert.Equal("--versions", await BashCompleteAsync(script, "s3sync", "ls", "--vers"));
        // An option of another command is not offered
        Assert.Equal("", await BashCompleteAsync(script, "s3sync", "verify", "--size-o"));
    }

    [ShellFact("zsh")]
    public async Task Zsh_loads_the_script_and_registers_the_function()
    {
        var script = await ScriptAsync("zsh");

        var run = await Binary.RunAsync("zsh", ["-c", $"source '{script}'; whence -w _s3sync"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("_s3sync: function\n", run.Output);
    }

    [ShellFact("fish")]
    public async Task Fish_completes_commands_and_options()
    {
        var script = await ScriptAsync("fish");

        var run = await Binary.RunAsync("fish", ["-c", $"source '{script}'; complete -C 's3sync sy'; complete -C 's3sync sync --dry'"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("sync\t", run.Output);
        Assert.Contains("--dry-run\t", run.Output);
    }

    /// <summary>File names an attacker can leave in the folder a user completes in.</summary>
    private static readonly string[] HostileNames = ["$(touch pwned)", ";touch pwned", "`touch pwned`", "a b", "*"];

    /// <summary>The script as the command prints it (in-process), in a file, and a folder holding <see cref="HostileNames"/>.</summary>
    private async Task<(string Script, string Folder)> HostileFolderAsync(string shell)
    {
        var output = new StringWriter();
        Assert.Equal(0, await S3Sync.Cli.Program.RunAsync(["completion", shell], output, new StringWriter()));
        var script = Path.Combine(_root, "s3sync." + shell);
        File.WriteAllText(script, output.ToString());
        var folder = Directory.CreateDirectory(Path.Combine(_root, "hostile")).FullName;
        foreach (var name in HostileNames) File.WriteAllText(Path.Combine(folder, name), "");
        return (script, folder);
    }

    private static void AssertOfferedWholeAndNothingRan(string folder, string output)
    {
        var offered = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(HostileNames.Order(StringComparer.Ordinal), offered);
        Assert.False(File.Exists(Path.Combine(folder, "pwned")), "completing ran a command from a file name");
    }

    [ShellFact("bash")]
    public async Task Bash_offers_hostile_file_names_whole_and_has_readline_quote_them()
    {
        var (script, folder) = await HostileFolderAsync("bash");

        var run = await Binary.RunAsync("bash", ["-c", $"cd '{folder}' && source '{script}' && COMP_WORDS=(s3sync sync -c '') && COMP_CWORD=3 && _s3sync && printf '%s\\n' \"${{COMPREPLY[@]}}\" && complete -p s3sync >&2"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        AssertOfferedWholeAndNothingRan(folder, run.Output);
        // Without -o filenames readline inserts a name as it is: "$(touch pwned)" would run at Enter.
        Assert.Equal("complete -o filenames -F _s3sync s3sync\n", run.Error);
    }

    [ShellFact("zsh")]
    public async Task Zsh_offers_hostile_file_names_whole()
    {
        var (script, folder) = await HostileFolderAsync("zsh");

        // bashcompinit runs the bash function in sh emulation: the same here.
        var run = await Binary.RunAsync("zsh", ["-c", $"cd '{folder}' && autoload -U compinit && compinit -u -D && source '{script}' && t() {{ emulate -L sh; setopt kshglob noshglob braceexpand; COMP_WORDS=(s3sync sync -c ''); COMP_CWORD=3; _s3sync; printf '%s\\n' \"${{COMPREPLY[@]}}\"; }} && t"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        AssertOfferedWholeAndNothingRan(folder, run.Output);
    }

    [ShellFact("fish")]
    public async Task Fish_offers_hostile_file_names_whole()
    {
        var (script, folder) = await HostileFolderAsync("fish");

        var run = await Binary.RunAsync("fish", ["-c", $"cd '{folder}'; and source '{script}'; and complete -C 's3sync sync -c '"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        AssertOfferedWholeAndNothingRan(folder, run.Output);
    }

    [Fact]
    public async Task Every_shell_gets_a_script_naming_every_command()
    {
        foreach (var shell in (string[])["bash", "zsh", "fish"])
        {
            var run = await Binary.RunAsync(["completion", shell]);
            Assert.True(run.ExitCode == 0, run.ToString());
            foreach (var command in (string[])["sync", "verify", "restore", "watch", "ls", "config", "check", "completion"])
                Assert.Contains(command, run.Output);
        }
    }

    [Fact]
    public async Task An_unknown_shell_is_one_line_and_exit_2()
    {
        var run = await Binary.RunAsync(["completion", "tcsh"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("s3sync: completion: unknown shell 'tcsh' (valid: bash, zsh, fish)\n", run.Error);
    }
}
