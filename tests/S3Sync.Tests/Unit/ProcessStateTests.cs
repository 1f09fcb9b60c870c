using System.Reflection;
using S3Sync.Execution;
using S3Sync.State;

namespace S3Sync.Tests.Unit;

/// <summary>
/// The core and the command hold no process-wide mutable state: every static field is read-only and holds a value
/// that cannot change (a limit, a budget, a cache of a run is an object the run makes and passes down). Found by
/// reflection, so a new static is caught when it is added; the few that must stay are listed with the reason.
/// </summary>
public sealed class ProcessStateTests
{
    /// <summary>Static fields that may stay, each with why it is not a run's state.</summary>
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
        ["S3Sync.Remote.ContentTypes.ByExtension"] = "a table built once on first use from the embedded list, never written after",
        ["S3Sync.State.HashCache.Initialized"] = "SQLite's native provider, set once per process before the first connection",
        ["S3Sync.State.RacyMargin.<Fixed>k__BackingField"] = "the conservative margin: it knows no devices, so its device table is never written",
        ["S3Sync.Reporting.ReportJsonContext.<Default>k__BackingField"] = "System.Text.Json's source-generated metadata, built on first use, the same for every run",
        ["S3Sync.Reporting.ReportJsonContext.<Readable>k__BackingField"] = "System.Text.Json's source-generated metadata, built on first use, the same for every run",
        ["S3Sync.Local.PosixAccounts.Users"] = "a memo of the system's user database (getpwuid_r), not of a run: the same answer for every run",
        ["S3Sync.Local.PosixAccounts.Groups"] = "a memo of the system's group database (getgrgid_r), not of a run: the same answer for every run",
        ["S3Sync.Cli.HelpExamples.Table"] = "the examples attached to each Command of a tree (System.CommandLine has no slot for them), keyed by the command object: two trees share nothing",
        // Test seams: an AsyncLocal is per async flow, never shared between runs, and null unless a test sets it.
        ["S3Sync.Execution.Downloader.BeforeRename"] = "a test seam (AsyncLocal)",
        ["S3Sync.Execution.FolderRestore.BeforeApply"] = "a test seam (AsyncLocal)",
        ["S3Sync.Hashing.FileHasher.AfterContentRead"] = "a test seam (AsyncLocal)",
        ["S3Sync.Local.LocalWalker.BeforeOpenFolder"] = "a test seam (AsyncLocal)",
        ["S3Sync.Local.LocalWalker.BeforeStatEntry"] = "a test seam (AsyncLocal)",
        ["S3Sync.Local.TargetFolder.Trace"] = "a test seam (AsyncLocal)",
        ["S3Sync.Remote.AttemptTimer.Current"] = "the request attempt in flight on this async flow (AsyncLocal): each request's own",
    };

    private static readonly Type[] MutableGenerics =
    [
        typeof(List<>), typeof(Dictionary<,>), typeof(HashSet<>), typeof(Queue<>), typeof(Stack<>), typeof(SortedDictionary<,>), typeof(SortedSet<>),
        typeof(System.Collections.Concurrent.ConcurrentDictionary<,>), typeof(System.Collections.Concurrent.ConcurrentQueue<>),
        typeof(System.Collections.Concurrent.ConcurrentBag<>), typeof(Lazy<>), typeof(AsyncLocal<>), typeof(ThreadLocal<>),
        typeof(System.Runtime.CompilerServices.ConditionalWeakTable<,>), typeof(System.Runtime.CompilerServices.StrongBox<>),
    ];

    [Fact]
    public void The_core_and_the_command_hold_no_process_wide_mutable_state()
    {
        var found = new[] { typeof(SyncRun).Assembly, typeof(S3Sync.Cli.Program).Assembly }
            .SelectMany(a => a.GetTypes())
            // Compiler-made holders (delegate caches of lambdas and method groups, array initialisers) and generated
            // regular expressions are the compiler's, not state of ours.
            .Where(t => !t.Name.StartsWith('<') && !(t.DeclaringType?.Name.StartsWith('<') ?? false) && t.Namespace?.StartsWith("System.", StringComparison.Ordinal) != true)
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(f => !f.IsLiteral && (!f.IsInitOnly || Mutable(f.FieldType, [])))
            .Select(f => $"{f.DeclaringType!.FullName}.{f.Name}")
            .Where(name => !Allowed.ContainsKey(name))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(found.Count == 0, "process-wide mutable statics (make them an object the run passes down, or allow one with its reason):\n" + string.Join("\n", found));
    }

    [Fact]
    public void Every_allowed_static_still_exists()
    {
        var names = new[] { typeof(SyncRun).Assembly, typeof(S3Sync.Cli.Program).Assembly }.SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(f => $"{f.DeclaringType!.FullName}.{f.Name}").ToHashSet(StringComparer.Ordinal);

        var gone = Allowed.Keys.Where(k => !names.Contains(k)).ToList();
        Assert.Empty(gone);
    }

    /// <summary>An array, a collection or holder that can be written, or one of our classes with a field that can be
    /// set after it is made, or holds such a collection. Inside our types a private array is taken as its owner's
    /// (an immutable type may keep one it never writes); the parameters a primary constructor captures are fields the
    /// compiler cannot mark read-only, and are taken as set once.</summary>
    private static bool Mutable(Type type, HashSet<Type> seen, bool top = true)
    {
        if (type.IsEnum || type.IsPrimitive) return false;
        if (type.IsArray) return top;
        if (type.IsGenericType && MutableGenerics.Contains(type.GetGenericTypeDefinition())) return true;
        if (type.Namespace?.StartsWith("S3Sync", StringComparison.Ordinal) != true || !seen.Add(type)) return false;
        for (var t = type; t is not null && t.Namespace?.StartsWith("S3Sync", StringComparison.Ordinal) == true; t = t.BaseType)
            foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                if ((!f.IsInitOnly && !f.Name.EndsWith(">P", StringComparison.Ordinal)) || Mutable(f.FieldType, seen, top: false)) return true;
        return false;
    }
}
