using System.Diagnostics;

namespace S3Sync.Tests.Support;

/// <summary>
/// The published AOT binary, run as a user would: its own process and environment, so AWS_* variables given to it
/// never leak into other tests. <c>S3SYNC_BINARY</c> (set by build.sh) or <c>dist/s3sync</c>.
/// </summary>
public static class Binary
{
    public static string Path
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("S3SYNC_BINARY") is { Length: > 0 } p ? p : System.IO.Path.Combine(S3ServerFixture.RepoRoot, "dist", "s3sync");
            if (!File.Exists(path)) throw new InvalidOperationException($"{path} does not exist: run ./build.sh publish first (./build.sh test does)");
            return path;
        }
    }

    /// <summary>
    /// Runs a program with only the given environment (plus PATH and a fresh HOME), so nothing of the caller's
    /// AWS settings or ~/.aws files reaches it.
    /// </summary>
    public static async Task<RunResult> RunAsync(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        psi.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        psi.Environment["HOME"] = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "s3sync-test-home-" + Guid.NewGuid().ToString("N")[..8]);
        psi.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in time");
        }
        return new RunResult(process.ExitCode, await stdout, await stderr);
    }

    public static Task<RunResult> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null) =>
        RunAsync(Path, args, environment);
}
