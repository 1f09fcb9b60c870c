using System.Runtime.CompilerServices;
using Snapshooter;
using Snapshooter.Xunit;

namespace S3Sync.Tests.Support;

/// <summary>
/// Snapshooter with one guard: Snapshooter passes and writes a new file when a snapshot is missing, so on CI
/// (env <c>CI=true</c>) a missing snapshot fails instead; snapshots are made locally, reviewed and committed.
/// Files live in <c>__snapshots__/</c> next to the calling test file.
/// </summary>
public static class Snapshots
{
    public static void Match(string actual, string name, [CallerFilePath] string testFile = "")
    {
        var folder = Path.GetDirectoryName(testFile)!;
        var file = name + ".snap";
        var path = Path.Combine(folder, "__snapshots__", file);
        if (IsCi && !File.Exists(path))
            Assert.Fail($"snapshot {path} is missing; CI never creates snapshots: run the test locally, review the new file and commit it");
        Snapshot.Match(actual, new SnapshotFullName(file, folder));
    }

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
