using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Remote;

namespace S3Sync.Planning;

/// <summary>One key of the plan, with the reason and the action it leads to.</summary>
public sealed record PlanEntry(string Key, ChangeReason Reason, PlanAction Action, LocalEntry? Local, RemoteObject? Remote, string? Detail = null)
{
    /// <summary>The local content, when it was hashed while comparing; the uploader reuses it.</summary>
    public FileDigest? Digest { get; init; }

    /// <summary>What a HEAD of the object said, when the plan read one (the in-place update starts from it).</summary>
    public ObjectHead? Head { get; init; }
    /// <summary>The file metadata the object holds, when a HEAD read it (restore applies it).</summary>
    public FileMetadata? Stored { get; init; }

    public char Symbol => Reason switch
    {
        ChangeReason.InSync => '=',
        ChangeReason.Missing => '+',
        ChangeReason.SizeDiffers or ChangeReason.ChecksumDiffers or ChangeReason.StorageClassDiffers or ChangeReason.MetadataDiffers or ChangeReason.SettingsDiffer or ChangeReason.Archived => '*',
        ChangeReason.RemoteOnly or ChangeReason.LocalOnly => '-',
        ChangeReason.RemoteOnlyKept or ChangeReason.LocalOnlyKept or ChangeReason.OutsideWindow => '.',
        ChangeReason.CannotCompare => '?',
        ChangeReason.Error => '!',
        _ => ' ',
    };

    /// <summary>True when this entry is a difference between the disk and the bucket.</summary>
    public bool IsDifference => Reason is not (ChangeReason.InSync or ChangeReason.Vanished or ChangeReason.OutsideWindow);
}
