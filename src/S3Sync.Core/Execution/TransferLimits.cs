using S3Sync.Config;
using S3Sync.Remote;

namespace S3Sync.Execution;

/// <summary>
/// The limits every transfer of one run shares: one bandwidth limit (<c>bandwidth_limit</c>, <c>--bwlimit</c>) for
/// uploads and downloads of all sites, and one budget for the file data held in memory by every uploader and the
/// downloader. The command makes one per run (<c>sync</c>, <c>restore</c>) or per process (<c>watch</c>, whose reload
/// sets a new rate once the new configuration applies) and passes it down: the core holds no process-wide limit.
/// </summary>
public sealed class TransferLimits
{
    public TransferLimits(long bandwidthBytesPerSecond = 0, long bufferBytes = Defaults.UploadBufferBytes, TimeProvider? time = null)
    {
        Bandwidth = new BandwidthLimiter(time);
        Bandwidth.SetRate(bandwidthBytesPerSecond);
        Buffers = new ByteBudget(bufferBytes);
    }

    public BandwidthLimiter Bandwidth { get; }

    public ByteBudget Buffers { get; }
}
