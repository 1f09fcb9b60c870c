using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Remote;
using S3Sync.State;

namespace S3Sync.Planning;

/// <summary>
/// Decides, for a key held on both sides, whether they match. The truth table, in order:
/// <list type="table">
/// <item><term>sizes differ</term><description><see cref="ChangeReason.SizeDiffers"/> (no read)</description></item>
/// <item><term>ETag "hex" (one part)</term><description>local MD5 equal: same content</description></item>
/// <item><term>ETag "hex-N"</term><description>same content when the multipart ETag at s3sync's part size, or at any
/// common part size giving N parts (5, 8, 15, 16, 64 MiB, size/N rounded up to a MiB), equals it</description></item>
/// <item><term>no match, fingerprint source given</term><description>HEAD: an unencrypted one-part ETag is the MD5, so
/// <see cref="ChangeReason.ChecksumDiffers"/>; otherwise (KMS/customer-key encryption, multipart, unparsable ETag) the stored
/// whole-file MD5 decides (a digest of part MD5s alone is completed by one read for it), and without one it is
/// <see cref="ChangeReason.CannotCompare"/></description></item>
/// <item><term>no match, no fingerprint source</term><description>one part: <see cref="ChangeReason.ChecksumDiffers"/>;
/// otherwise <see cref="ChangeReason.CannotCompare"/></description></item>
/// <item><term>same content</term><description>storage class equal: <see cref="ChangeReason.InSync"/>; remote archived
/// (GLACIER, DEEP_ARCHIVE): <see cref="ChangeReason.Archived"/>; else <see cref="ChangeReason.StorageClassDiffers"/></description></item>
/// </list>
/// With <see cref="ComparisonPolicy.SizeOnly"/> the table stops at the first row: equal sizes go straight to the last
/// row (storage class), nothing read.
/// </summary>
/// <remarks>With <paramref name="uploadWhenUnsure"/> (sync), a key that cannot be compared is uploaded so that it carries
/// a fingerprint from then on; without it (verify), it is reported.
/// <para>Same content, then the file metadata (<paramref name="metadata"/>, needs a fingerprint source): the object's
/// stored mtime, mode and owner are read with a HEAD only when the hash cache does not vouch for the file and, for
/// <see cref="MetadataCheck.WhenChangedSinceUpload"/>, the file's ctime is not older than the object (a chmod, chown
/// or touch sets the ctime; an upload after it does not), so the no-op path makes no request. A difference is
/// <see cref="ChangeReason.MetadataDiffers"/> and the cache row is dropped, so a later run looks again.</para>
/// <para>With <paramref name="checkSettings"/> (a sync whose site's upload settings changed, see
/// <see cref="State.SettingsLedger"/>), a key of the same content is also read with HEAD: when the object's settings
/// digest or its encryption differ from what the site gives it, <see cref="ChangeReason.SettingsDiffer"/> (rewritten in
/// place by a copy, with the file metadata). Archived objects are left alone.</para></remarks>
public sealed class ChangeDetector(string storageClass, IDigestSource digests, IFingerprintSource? fingerprints, bool uploadWhenUnsure = false,
    MetadataCheck metadata = MetadataCheck.Never, bool compareOwner = true, Config.Site? checkSettings = null,
    ComparisonPolicy comparison = ComparisonPolicy.Content)
{
    /// <summary>A ctime this close to the object's Last-Modified (whole seconds in listings, clocks apart) counts as newer.</summary>
    private static readonly long MarginNs = 2_000_000_000;

    public static bool IsArchived(string storageClass) => storageClass is "GLACIER" or "DEEP_ARCHIVE";

    public async Task<PlanEntry> CompareAsync(LocalEntry local, RemoteObject remote, CancellationToken cancellationToken)
    {
        var entry = await CompareContentAsync(local, remote, cancellationToken).ConfigureAwait(false);
        if (checkSettings is null || fingerprints is null || entry.Reason is not (ChangeReason.InSync or ChangeReason.StorageClassDiffers or ChangeReason.MetadataDiffers) || IsArchived(remote.StorageClass))
            return entry;
        var head = await fingerprints.HeadAsync(local.Key, cancellationToken).ConfigureAwait(false);
        if (head is null) return entry; // deleted meanwhile: the next run sees it
        var md5 = entry.Digest?.Md5Hex ?? head.FingerprintMd5 ?? "";
        var why = SettingsDifference(checkSettings.Encryption, UploadHeaders.For(checkSettings, local.Key, md5).SettingsDigest, head);
        return why is null ? entry : new PlanEntry(local.Key, ChangeReason.SettingsDiffer, PlanAction.ChangeMetadata, local, remote,
            entry.Reason == ChangeReason.MetadataDiffers ? $"{why}; {entry.Detail}" : why) { Digest = entry.Digest, Head = head };
    }

    /// <summary>Why an object's settings differ from the site's (null: they do not).</summary>
    public static string? SettingsDifference(Config.Encryption wanted, string expectedDigest, ObjectHead head)
    {
        if ((head.SettingsDigest ?? "") != expectedDigest) return "headers, ACL or encryption settings changed";
        if (!EncryptionApplied(wanted, head)) return $"encryption {Describe(head)} -> {wanted}";
        return null;
    }

    /// <summary>True when the object is encrypted as asked. SSE-S3 and "none" are not checked: a bucket's default
    /// encryption answers for them, and some servers (Ceph 16) accept AES256 without reporting it.</summary>
    public static bool EncryptionApplied(Config.Encryption wanted, ObjectHead head) => wanted.Mode switch
    {
        Config.EncryptionMode.Kms or Config.EncryptionMode.KmsDsse => head.ServerSideEncryption == wanted.Header,
        Config.EncryptionMode.Customer => head.CustomerKey,
        _ => true,
    };

    private static string Describe(ObjectHead head) => head.CustomerKey ? "SSE-C" : head.ServerSideEncryption ?? "none";

    private async Task<PlanEntry> CompareContentAsync(LocalEntry local, RemoteObject remote, CancellationToken cancellationToken)
    {
        if (local.Folder is { } folder) return await CompareFolderAsync(local, folder, remote, cancellationToken).ConfigureAwait(false);
        if (local.Size != remote.Size)
            return Upload(local, remote, ChangeReason.SizeDiffers, $"size differs (local {local.Size}, S3 {remote.Size})", null);
        // --size-only: equal sizes are taken for equal content, unread (the policy's documented risk).
        if (comparison == ComparisonPolicy.SizeOnly) return ClassCheck(storageClass, local, remote, null);

        if (local.LinkTarget is { } target)
        {
            // A preserved link's content is its target: compared with the object without reading anything.
            var md5 = System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(target));
            var linkDigest = new FileDigest(local.Size, md5, 0, [], new Dictionary<long, string>());
            if (ETag.Normalize(remote.ETag) != linkDigest.Md5Hex)
                return Upload(local, remote, ChangeReason.ChecksumDiffers, "link target differs", linkDigest);
            return await SameContentAsync(local, remote, linkDigest, null, cancellationToken).ConfigureAwait(false);
        }
        var parsed = ETag.TryParse(remote.ETag, out var hex, out var parts);
        var extra = parsed && parts > 0 ? ETag.CandidatePartSizes(local.Size, parts) : [];
        // When s3sync's own part size gives the remote's part count, try it alone first: a cached digest answers
        // without a read, and other part sizes are hashed only when it does not match.
        var ownFirst = extra.Count > 0 && ETag.IsMultipartSize(local.Size) && ETag.PartCount(local.Size, ETag.PartSizeFor(local.Size)) == parts;
        var digest = await digests.GetAsync(local, ownFirst ? [] : extra, cancellationToken).ConfigureAwait(false);
        if (ownFirst && !digest.Matches(remote.ETag) && extra.Any(p => p != digest.PartSize))
            digest = await digests.GetAsync(local, extra, cancellationToken).ConfigureAwait(false);
        // A one-part ETag (a large file another tool sent in one PUT) is the whole-file MD5, which a digest of part
        // MD5s alone (a one-pass upload, a restore) does not have: read for it.
        if (parsed && parts == 0 && !digest.HasMd5)
            digest = await digests.GetAsync(local, extra, wholeMd5: true, cancellationToken).ConfigureAwait(false);

        if (!(parsed && digest.Matches(remote.ETag)))
        {
            string? why = !parsed ? $"the ETag '{remote.ETag}' is not an MD5" : parts > 0 ? $"multipart ETag with {parts} parts matches no known part size" : null;
            if (fingerprints is not null)
            {
                var head = await fingerprints.HeadAsync(local.Key, cancellationToken).ConfigureAwait(false);
                var encrypted = head is not null && (head.CustomerKey || head.ServerSideEncryption is "aws:kms" or "aws:kms:dsse");
                // An unencrypted one-part ETag is the MD5 of the bytes: it outranks a fingerprint that may be stale
                // (metadata copied along with other bytes). The fingerprint speaks only where the ETag cannot.
                if (parsed && parts == 0 && !encrypted)
                    return Upload(local, remote, ChangeReason.ChecksumDiffers, "content differs", digest);
                if (head?.FingerprintMd5 is { } md5)
                {
                    if (!digest.HasMd5) digest = await digests.GetAsync(local, extra, wholeMd5: true, cancellationToken).ConfigureAwait(false);
                    if (md5 != digest.Md5Hex)
                        return Upload(local, remote, ChangeReason.ChecksumDiffers, "content differs", digest);
                    return await SameContentAsync(local, remote, digest, head, cancellationToken).ConfigureAwait(false);
                }
                if (encrypted && head is not null)
                    why = $"the ETag is not an MD5 ({(head.CustomerKey ? "SSE-C" : "SSE-KMS")}) and there is no fingerprint";
            }
            if (why is null)
                return Upload(local, remote, ChangeReason.ChecksumDiffers, "content differs", digest);
            return new PlanEntry(local.Key, ChangeReason.CannotCompare, uploadWhenUnsure ? PlanAction.Upload : PlanAction.None, local, remote, $"cannot compare: {why}") { Digest = digest };
        }
        return await SameContentAsync(local, remote, digest, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Content is the same: storage class, then (when asked and worth a HEAD) the file metadata.</summary>
    private async Task<PlanEntry> SameContentAsync(LocalEntry local, RemoteObject remote, FileDigest digest, ObjectHead? head, CancellationToken cancellationToken)
    {
        var entry = ClassCheck(local, remote, digest);
        if (metadata == MetadataCheck.Never || fingerprints is null || entry.Reason == ChangeReason.Archived || digests.FromCache(digest)) return entry;
        if (metadata == MetadataCheck.WhenChangedSinceUpload)
        {
            var uploadedNs = (remote.LastModifiedUtc.ToUniversalTime() - DateTime.UnixEpoch).Ticks * 100;
            if ((local.LinkTarget is null ? FileFingerprint.TryRead(local.FullPath)?.CtimeNs : FileMetadata.CtimeOfLink(local.FullPath)) is not { } ctime || ctime < uploadedNs - MarginNs) return entry;
        }
        head ??= await fingerprints.HeadAsync(local.Key, cancellationToken).ConfigureAwait(false);
        // An object without s3sync's metadata (another tool's upload) has nothing to compare with: left alone.
        if (head?.File is not { } stored || FileMetadata.TryRead(local.FullPath, followLinks: local.LinkTarget is null) is not { } read) return entry;
        var actual = local.LinkTarget is null ? read : read with { LinkTarget = local.LinkTarget };
        if (actual.SameAs(stored, compareOwner)) return entry;
        digests.Forget(local);
        return new PlanEntry(local.Key, ChangeReason.MetadataDiffers, PlanAction.ChangeMetadata, local, remote, Describe(actual, stored, compareOwner)) { Digest = digest, Stored = stored, Head = head };
    }

    /// <summary>
    /// A folder and its zero-byte marker: no content to compare (a marker with data is no marker, the listing leaves it
    /// out); storage class as for files; then, when asked, the mode, owner and mtime the marker holds. With
    /// <see cref="MetadataCheck.WhenChangedSinceUpload"/> the marker is read (a HEAD) only when the folder's ctime is not
    /// older than it, so the no-op run makes no request. A marker without s3sync's metadata (another tool's) is left
    /// alone, as such a file is.
    /// </summary>
    private async Task<PlanEntry> CompareFolderAsync(LocalEntry local, FileMetadata folder, RemoteObject remote, CancellationToken cancellationToken)
    {
        var entry = ClassCheck(storageClass, local, remote, null);
        if (metadata == MetadataCheck.Never || fingerprints is null || entry.Reason == ChangeReason.Archived) return entry;
        if (metadata == MetadataCheck.WhenChangedSinceUpload)
        {
            var uploadedNs = (remote.LastModifiedUtc.ToUniversalTime() - DateTime.UnixEpoch).Ticks * 100;
            if (local.FolderCtimeNs < uploadedNs - MarginNs) return entry;
        }
        var head = await fingerprints.HeadAsync(local.Key, cancellationToken).ConfigureAwait(false);
        if (head?.File is not { } stored || folder.SameAs(stored, compareOwner)) return entry;
        return new PlanEntry(local.Key, ChangeReason.MetadataDiffers, PlanAction.ChangeMetadata, local, remote, Describe(folder, stored, compareOwner)) { Stored = stored, Head = head };
    }

    /// <summary>"mode 600, S3 644; mtime 2026-01-01T00:00:00.000000001Z, S3 ...": each part that differs.</summary>
    public static string Describe(FileMetadata local, FileMetadata stored, bool owner)
    {
        var parts = new List<string>();
        if (local.Permissions != stored.Permissions) parts.Add($"mode {Convert.ToString(local.Permissions, 8)}, S3 {Convert.ToString(stored.Permissions, 8)}");
        if (local.MtimeNs != stored.MtimeNs) parts.Add($"mtime {ObjectMetadata.FormatMtime(local.MtimeNs)}, S3 {ObjectMetadata.FormatMtime(stored.MtimeNs)}");
        if (owner && stored.Uid is { } u && local.Uid is { } lu && u != lu) parts.Add($"uid {lu}, S3 {u}");
        if (owner && stored.Gid is { } g && local.Gid is { } lg && g != lg) parts.Add($"gid {lg}, S3 {g}");
        if (local.LinkTarget != stored.LinkTarget) parts.Add($"link target {local.LinkTarget}, S3 {stored.LinkTarget}");
        return "metadata differs: " + string.Join("; ", parts);
    }

    private PlanEntry ClassCheck(LocalEntry local, RemoteObject remote, FileDigest digest) => ClassCheck(storageClass, local, remote, digest);

    /// <summary>The last row of the truth table, for a key whose content is known to be the same.</summary>
    public static PlanEntry ClassCheck(string storageClass, LocalEntry local, RemoteObject remote, FileDigest? digest)
    {
        if (remote.StorageClass == storageClass)
            return new PlanEntry(local.Key, ChangeReason.InSync, PlanAction.None, local, remote) { Digest = digest };
        var detail = $"storage class {remote.StorageClass} -> {storageClass}";
        if (IsArchived(remote.StorageClass))
            return new PlanEntry(local.Key, ChangeReason.Archived, PlanAction.None, local, remote, detail + " (archived: left alone)") { Digest = digest };
        return new PlanEntry(local.Key, ChangeReason.StorageClassDiffers, PlanAction.ChangeStorageClass, local, remote, detail) { Digest = digest };
    }

    private static PlanEntry Upload(LocalEntry local, RemoteObject remote, ChangeReason reason, string detail, FileDigest? digest) =>
        new(local.Key, reason, PlanAction.Upload, local, remote, detail) { Digest = digest };
}
