
namespace S3Sync.Planning;

/// <summary>Why a key is what it is. Each value maps to one report symbol (see <see cref="PlanEntry.Symbol"/>).</summary>
public enum ChangeReason
{
    /// <summary><c>=</c> same content and storage class.</summary>
    InSync,
    /// <summary><c>+</c> local only: upload.</summary>
    Missing,
    /// <summary><c>*</c> sizes differ: upload.</summary>
    SizeDiffers,
    /// <summary><c>*</c> same size, other content: upload.</summary>
    ChecksumDiffers,
    /// <summary><c>*</c> same content, other storage class: change it server-side.</summary>
    StorageClassDiffers,
    /// <summary><c>*</c> same content, but the file's mode, owner or mtime is not what the object's metadata holds:
    /// the metadata is rewritten in place (sync) or applied to the file (restore).</summary>
    MetadataDiffers,
    /// <summary><c>*</c> same content, but the headers, ACL or encryption the site's settings give differ: rewritten
    /// in place by a server-side copy (the storage class and file metadata with them).</summary>
    SettingsDiffer,
    /// <summary><c>*</c> same content, other storage class, but archived (GLACIER, DEEP_ARCHIVE): left alone.</summary>
    Archived,
    /// <summary><c>-</c> only in S3, and the site retires deleted files: delete.</summary>
    RemoteOnly,
    /// <summary><c>.</c> only in S3, kept because the site does not retire deleted files.</summary>
    RemoteOnlyKept,
    /// <summary><c>-</c> restore: only on the disk, and --delete was given: delete the file.</summary>
    LocalOnly,
    /// <summary><c>.</c> restore: only on the disk, kept.</summary>
    LocalOnlyKept,
    /// <summary><c>?</c> the ETag cannot be reproduced and no fingerprint says otherwise.</summary>
    CannotCompare,
    /// <summary><c>!</c> the local file could not be read.</summary>
    Error,
    /// <summary>The file vanished between the walk and the compare; nothing to do.</summary>
    Vanished,
    /// <summary><c>.</c> modified before <c>--max-age</c>'s window: not considered (not uploaded, never deleted).</summary>
    OutsideWindow,
}
