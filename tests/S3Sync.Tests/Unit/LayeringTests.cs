using System.Text.RegularExpressions;

namespace S3Sync.Tests.Unit;

/// <summary>
/// The core's folders depend in one direction: a folder uses only folders below it (Config &lt; Local &lt; Remote &lt;
/// State, Hashing &lt; Planning &lt; Execution &lt; Reporting &lt; Watching), so each folder can be read, and tested, with
/// only what is under it. Checked on the source text: a <c>using S3Sync.X;</c>, an <c>S3Sync.X.</c> or an
/// <c>X.Type</c> reference from a file in a lower folder fails, unless <see cref="Allowed"/> names it with the reason.
/// </summary>
public sealed partial class LayeringTests
{
    /// <summary>Each folder of src/S3Sync.Core and its layer: a folder may use its own layer and the ones below.</summary>
    private static readonly Dictionary<string, int> Layers = new(StringComparer.Ordinal)
    {
        ["Config"] = 0, ["Local"] = 1, ["Remote"] = 2, ["State"] = 3, ["Hashing"] = 3,
        ["Planning"] = 4, ["Execution"] = 5, ["Reporting"] = 6, ["Watching"] = 7,
    };

    /// <summary>Backward uses that stay for now ("Folder/File.cs -> Folder"), each with why and what would fix it.</summary>
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
        ["Config/UserFile.cs -> Local"] = "reads a user-named file by handle through Local's Posix (openat/fstat); fix: the native calls in a folder below Config",
        ["Local/FileMetadata.cs -> Remote"] = "names the stored-metadata format (ObjectMetadata.FormatMtime) in one message and in its docs; fix: the metadata codec in Local",
        ["Remote/ObjectMetadata.cs -> Reporting"] = "Printable.Escape for a hostile stored value; fix: Printable in Local (Watching/SiteWatcher.cs names it Reporting.Printable and was being edited)",
        ["Remote/RedirectRefusedException.cs -> Reporting"] = "Printable.Escape for a hostile Location; fix: Printable in Local (as above)",
        ["Remote/S3ObjectStore.cs -> Reporting"] = "Printable.Escape in the retry line; fix: Printable in Local (as above)",
        ["Remote/SignedPut.cs -> Reporting"] = "Printable.Escape in the retry line; fix: Printable in Local (as above)",
        ["Execution/ActionLine.cs -> Reporting"] = "Printable.Escape for keys and details; fix: Printable in Local (as above)",
        ["Execution/PartFetcher.cs -> Reporting"] = "Printable.Escape; fix: Printable in Local (as above)",
        ["Execution/SiteRestore.cs -> Reporting"] = "Printable.Escape; fix: Printable in Local (as above)",
        ["Execution/SiteRun.cs -> Reporting"] = "PlanReport.KeyForPath names a walk issue by its key; fix: KeyForPath on the site (Config) or in Planning",
        ["Execution/SyncRun.cs -> Reporting"] = "the per-site loop (moved from the CLI) opens a SiteLogger per site; fix: the runs in a folder above Reporting, or the logger passed in",
        ["Execution/RestoreRun.cs -> Reporting"] = "the per-site loop opens a SiteLogger per site (as SyncRun)",
        ["Execution/VerifyRun.cs -> Reporting"] = "verify is the plan rendered by PlanReport with ReportTotals, per-site SiteLogger (as SyncRun)",
    };

    [GeneratedRegex(@"^using\s+S3Sync\.(?<to>\w+)\s*;|S3Sync\.(?<to>\w+)\.|(?<![\w.])(?<to>\w+)\.[A-Z]", RegexOptions.Multiline)]
    private static partial Regex Reference();

    /// <summary>The folders a source text refers to, comments left out (a cref is documentation, not a dependency).</summary>
    internal static IEnumerable<string> FoldersUsed(string source)
    {
        var code = string.Join('\n', source.Split('\n').Select(l => l.IndexOf("//", StringComparison.Ordinal) is var i and >= 0 ? l[..i] : l));
        return Reference().Matches(code).Select(m => m.Groups["to"].Value).Where(Layers.ContainsKey).Distinct();
    }

    private static IEnumerable<string> BackwardUses()
    {
        var core = Path.Combine(Support.S3ServerFixture.RepoRoot, "src", "S3Sync.Core");
        foreach (var file in Directory.GetFiles(core, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(core, file).Replace('\\', '/');
            var folder = relative.Split('/')[0];
            if (!Layers.TryGetValue(folder, out var layer)) continue;
            foreach (var to in FoldersUsed(File.ReadAllText(file)))
                if (Layers[to] > layer) yield return $"{relative} -> {to}";
        }
    }

    [Fact]
    public void Every_core_folder_has_a_layer()
    {
        var core = Path.Combine(Support.S3ServerFixture.RepoRoot, "src", "S3Sync.Core");
        var folders = Directory.GetDirectories(core).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).Order(StringComparer.Ordinal);
        Assert.Equal(Layers.Keys.Order(StringComparer.Ordinal), folders);
    }

    [Fact]
    public void Core_folders_use_only_lower_folders()
    {
        var backward = BackwardUses().ToList();
        var notAllowed = backward.Where(b => !Allowed.ContainsKey(b)).ToList();
        Assert.Empty(notAllowed);
        // An allowance that is no longer needed goes: the list says what is still backwards.
        var stale = Allowed.Keys.Where(a => !backward.Contains(a)).ToList();
        Assert.Empty(stale);
    }

    [Theory]
    [InlineData("using S3Sync.Execution;\nnamespace S3Sync.Remote;", "Execution")]
    [InlineData("var s = S3Sync.Reporting.Printable.Escape(k);", "Reporting")]
    [InlineData("return (why, Execution.SiteStatus.Failed);", "Execution")]
    [InlineData("var x = site.Planning.Thing; // Watching.SiteWatcher", "")]
    [InlineData("/// <see cref=\"Execution.SettingsLedger\"/>", "")]
    [InlineData("using S3Sync.Config;\nvar c = Config.Value;", "Config")]
    public void The_check_sees_usings_and_qualified_names_not_comments_or_members(string source, string expected)
    {
        Assert.Equal(expected, string.Join(',', FoldersUsed(source)));
    }
}
