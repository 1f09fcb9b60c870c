using System.Diagnostics;

namespace S3Sync.Tests.Support;

/// <summary>
/// Runs s3sync as a child process: the AOT binary named by <c>S3SYNC_BINARY</c> (build.sh test sets it), else the
/// apphost built next to the tests. Used where a test needs a real process: signals, dropped privileges, stderr
/// of the binary itself.
/// </summary>
public static class CliProcess
{
    public static string Binary
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("S3SYNC_BINARY");
            return !string.IsNullOrEmpty(env) && File.Exists(env) ? env : Path.Combine(AppContext.BaseDirectory, "s3sync");
        }
    }

    /// <summary>True when this process runs as root, so permission bits alone cannot make a file unreadable.</summary>
    public static bool IsRoot => Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || GetUid() == 0;

    private static int GetUid()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Uid:", StringComparison.Ordinal)) return int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
        return -1;
    }

    /// <summary>
    /// Starts s3sync. With <paramref name="unprivileged"/>, a root test run drops the capabilities that bypass file
    /// permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) with setpriv, so chmod 000 really denies access.
    /// </summary>
    public static Process Start(IEnumerable<string> args, bool unprivileged = false, IDictionary<string, string>? env = null)
    {
        ProcessStartInfo psi;
        if (unprivileged && IsRoot)
        {
            psi = new ProcessStartInfo("setpriv");
            foreach (var a in new[] { "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps", "-dac_override,-dac_read_search", "--", Binary }) psi.ArgumentList.Add(a);
        }
        else
        {
            // A test run started in the background by a non-interactive shell inherits SIGINT as ignored, and
            // ignored signals stay ignored across exec: the .NET runtime then never sees the SIGINT a test sends.
            // env(1) puts the default disposition back and execs the binary (same PID).
            psi = new ProcessStartInfo("env");
            psi.ArgumentList.Add("--default-signal=INT,QUIT");
            psi.ArgumentList.Add(Binary);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        psi.UseShellExecute = false;
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    /// <summary>Runs s3sync to the end (at most <paramref name="timeout"/>, then kills it and fails).</summary>
    public static async Task<RunResult> RunAsync(IEnumerable<string> args, bool unprivileged = false, IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        using var p = Start(args, unprivileged, env);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"s3sync {string.Join(' ', args)} did not exit within {timeout}:\n{await stdout}\n{await stderr}");
        }
        return new RunResult(p.ExitCode, await stdout, await stderr);
    }
}
