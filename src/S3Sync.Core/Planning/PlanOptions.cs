namespace S3Sync.Planning;

/// <summary>How a plan is made: what the commands differ in. Made only by <see cref="PlanFactory"/>, so each command's
/// plan is defined once and a dry run, verify and the real run cannot drift apart: its flags are set inside the core
/// only (<c>internal init</c>), so a command cannot build or amend one.</summary>
public sealed record PlanOptions
{
    internal PlanOptions()
    {
    }

    /// <summary>Read the fingerprint with HEAD when an ETag cannot be reproduced (verify --deep; sync always).</summary>
    public bool Deep { get; internal init; }

    /// <summary>Upload keys that cannot be compared (sync) instead of reporting them (verify).</summary>
    public bool UploadWhenUnsure { get; internal init; }

    /// <summary>When the file's mtime, mode and owner are compared with the object's (a HEAD; see <see cref="ChangeDetector"/>).</summary>
    public MetadataCheck Metadata { get; internal init; }

    /// <summary>Restore: the bucket is the reference and the disk is brought in line with it (see <see cref="SyncPlanner"/>).</summary>
    public bool Download { get; internal init; }

    /// <summary>Compare owner and group too (restore only when it can set them: as root, without --no-owner).</summary>
    public bool CompareOwner { get; internal init; } = true;

    /// <summary>Point in time: the listing is of the versions current at this instant (restore --at, verify --at).</summary>
    public DateTime? At { get; internal init; }

    /// <summary>How many files are hashed at once (CPU and disk: twice the cores).</summary>
    public int Parallelism { get; internal init; } = Math.Max(2, Environment.ProcessorCount * 2);

    /// <summary>How many keys are compared at once, in key order: a comparison that waits on the network (a HEAD for
    /// the stored metadata or settings) must not wait in a window sized for the CPU. At 100 ms a round trip, 10,000
    /// HEADs take 250 s four at a time and 4 s 256 at a time; the endpoint's limit bounds what really goes out.</summary>
    public int Window { get; internal init; } = Config.Defaults.ConcurrencyCeiling;

    /// <summary>Folders (keys ending in '/') that were mount points at the last complete walk (<see cref="State.MountLedger"/>).</summary>
    public IReadOnlyCollection<string> KnownMounts { get; internal init; } = [];

    /// <summary>Compare each object's headers, ACL and encryption with the site's too (a HEAD per key; see
    /// <see cref="State.SettingsLedger"/>). Needs <see cref="Deep"/>.</summary>
    public bool CheckSettings { get; internal init; }

    /// <summary>How equal content is decided (<c>--size-only</c>: sizes alone).</summary>
    public ComparisonPolicy Comparison { get; internal init; } = ComparisonPolicy.Content;

    /// <summary><c>--max-age</c>: only files modified at or after this instant are considered. A file modified before it
    /// is neither uploaded nor compared, and its key is never deleted; a key only in S3 whose object is older is not
    /// considered either (as rclone applies --max-age to both sides), so it is kept.</summary>
    public DateTime? ModifiedSince { get; internal init; }

    /// <summary><c>--delete-excluded</c> (rclone's meaning): keys under the prefix that the filters exclude are listed
    /// as the site's, so with deletion on they are deleted (through the same guard) instead of left alone.</summary>
    public bool DeleteExcluded { get; internal init; }
}
