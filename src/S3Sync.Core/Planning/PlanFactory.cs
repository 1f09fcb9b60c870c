namespace S3Sync.Planning;

/// <summary>
/// The one place where each command's plan is defined. <c>sync</c>, both of its dry runs (text and JSON) and
/// <c>watch</c>'s full syncs plan with <see cref="Sync"/>, and <c>watch</c>'s events with the same options for one key
/// (<see cref="WatchEvent"/>, <see cref="KeyPlanner"/>); <c>verify</c> reports the same comparison as differences
/// (<see cref="Verify"/>); <c>restore</c> and its dry runs run it the other way (<see cref="Restore"/>). A command never
/// builds <see cref="PlanOptions"/> itself, so what a dry run shows and what the run does cannot drift apart.
/// </summary>
public static class PlanFactory
{
    /// <summary>sync, sync --dry-run (text and JSON), watch's full syncs.</summary>
    /// <param name="deep"><c>sync --deep</c>: read every object's stored settings (a HEAD each) as if they had changed,
    /// so a change made by another tool is found and repaired.</param>
    /// <param name="settingsChanged">The site's headers, ACL or encryption differ from the state folder's record
    /// (<see cref="State.SettingsLedger.NeedsCheck"/>).</param>
    /// <param name="knownMounts">The sub-mounts of the last complete walk (<see cref="State.MountLedger"/>).</param>
    /// <param name="comparison">How equal content is decided (<c>--size-only</c>: sizes alone).</param>
    /// <param name="modifiedSince"><c>--max-age</c> (<see cref="PlanOptions.ModifiedSince"/>).</param>
    /// <param name="deleteExcluded"><c>--delete-excluded</c> (<see cref="PlanOptions.DeleteExcluded"/>).</param>
    public static PlanOptions Sync(bool deep, bool settingsChanged, IReadOnlyCollection<string> knownMounts,
        ComparisonPolicy comparison = ComparisonPolicy.Content, DateTime? modifiedSince = null, bool deleteExcluded = false) => new()
    {
        Deep = true, UploadWhenUnsure = true, Metadata = MetadataCheck.WhenChangedSinceUpload,
        CheckSettings = deep || settingsChanged, KnownMounts = knownMounts,
        Comparison = comparison, ModifiedSince = modifiedSince, DeleteExcluded = deleteExcluded,
    };

    /// <summary>watch's events: the one-key plans (<see cref="KeyPlanner"/>) of <c>sync</c>'s comparison, without what
    /// only a full sync knows (the settings ledger, the sub-mounts of the last walk).</summary>
    public static PlanOptions WatchEvent() => Sync(deep: false, settingsChanged: false, knownMounts: []);

    /// <summary>The change detector of a plan: every planner (the full one, <see cref="SyncPlanner"/>, and the one-key
    /// one, <see cref="KeyPlanner"/>) compares a file with its object through this one construction, so a site setting
    /// (storage class, <c>metadata</c>, the headers rules) means the same to both.</summary>
    /// <param name="fingerprints">Where an object's stored metadata is read (a HEAD); used only with <see cref="PlanOptions.Deep"/>.</param>
    public static ChangeDetector Detector(Config.Site site, PlanOptions options, IDigestSource digests, IFingerprintSource? fingerprints) =>
        new(site.StorageClass, digests, options.Deep ? fingerprints : null, options.UploadWhenUnsure, site.Metadata ? options.Metadata : MetadataCheck.Never,
            options.CompareOwner, checkSettings: options.CheckSettings ? site : null, comparison: options.Comparison);

    /// <summary>verify: the sync plan's comparison, reported as differences. Settings drift is a difference too: with
    /// <paramref name="deep"/> every object's stored settings are read (as <c>sync --deep</c>); without it, only when the
    /// state folder says the site's settings changed since they were last applied (as <c>sync</c> would then).</summary>
    /// <param name="at">Compare with the versions current then: their settings are history, not compared.</param>
    public static PlanOptions Verify(bool deep, DateTime? at, bool settingsChanged)
    {
        var settings = at is null && (deep || settingsChanged);
        return new()
        {
            Deep = deep || settings, At = at, Metadata = deep ? MetadataCheck.WhenChangedSinceUpload : MetadataCheck.Never,
            CheckSettings = settings,
        };
    }

    /// <summary>restore and its dry runs: the bucket is the reference.</summary>
    /// <param name="owner">Owner and group are compared (restore as root, without --no-owner).</param>
    public static PlanOptions Restore(bool owner, DateTime? at) => new()
    {
        Deep = true, UploadWhenUnsure = true, Download = true, Metadata = MetadataCheck.Always, CompareOwner = owner, At = at,
    };
}
