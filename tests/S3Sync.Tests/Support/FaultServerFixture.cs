using System.Diagnostics;

namespace S3Sync.Tests.Support;

/// <summary>
/// A private server instance for fault tests, which kill and freeze its gateway (radosgw). Mon and OSD keep
/// running, so buckets and objects survive a gateway restart.
/// </summary>
public sealed class FaultServerFixture() : S3ServerFixture(alwaysOwn: true)
{
    private int GatewayPid()
    {
        foreach (var line in File.ReadAllLines(Path.Combine(StateDir!, "pids")))
        {
            if (!int.TryParse(line.Trim(), out var pid)) continue;
            try
            {
                if (File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("radosgw", StringComparison.Ordinal)) return pid;
            }
            catch (IOException) { }
        }
        throw new InvalidOperationException("radosgw is not running");
    }

    public void Signal(string signal)
    {
        using var p = Process.Start("kill", [$"-{signal}", GatewayPid().ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        p.WaitForExit();
    }

    /// <summary>SIGKILL the gateway and wait until it is gone.</summary>
    public async Task KillGatewayAsync()
    {
        var pid = GatewayPid();
        Signal("KILL");
        while (Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal))
            await Task.Delay(20);
    }

    public async Task RestartGatewayAsync()
    {
        var (code, output) = await RunScriptAsync("restart", StateDir!);
        if (code != 0) throw new InvalidOperationException($"restart failed: {output}");
    }
}

[CollectionDefinition("faults")]
public sealed class FaultCollection : ICollectionFixture<FaultServerFixture>;
