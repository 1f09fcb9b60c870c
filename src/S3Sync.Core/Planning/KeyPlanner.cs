using System.Text;
using S3Sync.Config;
using S3Sync.Local;
using S3Sync.Remote;

namespace S3Sync.Planning;

/// <summary>
/// The plan of one key, for <c>watch</c>'s events: what <see cref="SyncPlanner"/> decides for a key, without a walk or
/// a listing. The file is read as the walk reads it (<see cref="Local"/>: from the root without following a link, a link
/// itself with <c>symlinks: preserve</c>, never a FIFO or device), and compared with its object (a HEAD the caller made)
/// by the detector of the same <see cref="PlanOptions"/> (<see cref="PlanFactory.WatchEvent"/>,
/// <see cref="PlanFactory.Detector"/>): a file whose content is the object's but whose storage class or stored mtime,
/// mode or owner differ is a copy in place, as in <c>sync</c>, not a new upload. A change seen on disk with no object
/// asked for (<see cref="Changed"/>) is an upload: one event costs a HEAD at most, never a listing.
/// </summary>
public sealed class KeyPlanner(Site site, PlanOptions options)
{
    /// <summary>The file (or, with <c>symlinks: preserve</c>, the link) at <paramref name="key"/> under
    /// <paramref name="root"/>, as the walk would list it; null when it is gone, a link in another mode, reached through a
    /// link, or not a regular file (a FIFO, socket or device: skipped, as in the walk).</summary>
    public LocalEntry? Local(string root, string key)
    {
        var path = root + "/" + key;
        if (key.EndsWith('/'))
        {
            // folders: true: a folder's marker, as the walk lists it (the folder's mode, owner and mtime, stat'ed
            // without following a link), compared and written by the executor as in sync.
            if (!site.Folders || LocalFile.FolderBeneath(root, key) is not { } folder) return null;
            return new LocalEntry(key, path.TrimEnd('/'), 0, folder.MtimeUtc, folder.Identity)
            {
                Folder = FileMetadata.OfFolder(folder),
                FolderCtimeNs = folder.CtimeSec * 1_000_000_000 + folder.CtimeNsec,
            };
        }
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return null;
            if (info.LinkTarget is null)
            {
                if (FileFingerprint.IsSpecial(info)) return null;
                // Reached from the root without following a link anywhere (a folder above swapped for a link is not a
                // way out), and the read is checked against this identity, as the walk's are.
                var identity = LocalFile.IdentityBeneath(root, key);
                return identity is not null || !OperatingSystem.IsLinux() ? new LocalEntry(key, path, info.Length, info.LastWriteTimeUtc, identity) : null;
            }
            // symlinks: preserve, as in the walk: the link itself is the object (its target is its content).
            if (site.Symlinks == SymlinkMode.Preserve && LocalFile.LinkBeneath(root, key) is { } target)
                return new LocalEntry(key, path, Encoding.UTF8.GetByteCount(target), info.LastWriteTimeUtc) { LinkTarget = target };
            // symlinks: follow, as in the walk (the one check, FollowedLink): a link to a file inside local_path is the
            // file's content under the link's key, read from the target's real path and checked against its identity.
            if (site.Symlinks == SymlinkMode.Follow && LocalFile.FollowBeneath(root, key) is { Refusal: null, RealPath: { } real } followed
                && followed.Stat.Type == Posix.RegularFile)
                return new LocalEntry(key, real, (long)followed.Stat.Size, followed.Stat.MtimeUtc, followed.Stat.Identity)
                {
                    CtimeNs = followed.Stat.CtimeSec * 1_000_000_000 + followed.Stat.CtimeNsec,
                };
            return null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>With <c>symlinks: follow</c>, for a key <see cref="Local"/> found no file at: true when it is a link to a
    /// folder inside local_path (the walk would follow it: a full sync does); <paramref name="refusal"/> says why the
    /// walk would refuse the link (it dangles, loops or leads outside local_path), null when it is no refused link.</summary>
    public bool LeadsToFolder(string root, string key, out string? refusal)
    {
        refusal = null;
        if (site.Symlinks != SymlinkMode.Follow || LocalFile.FollowBeneath(root, key) is not { } followed) return false;
        try
        {
            if (new FileInfo(root + "/" + key).LinkTarget is null) return false;
        }
        catch (IOException)
        {
            return false;
        }
        refusal = followed.Refusal;
        return refusal is null && followed.Stat.Type == Posix.Directory;
    }

    /// <summary>A change seen on disk, its object not asked for: the file is sent (a PUT overwrites whatever is there).</summary>
    public static PlanEntry Changed(LocalEntry local) => new(local.Key, ChangeReason.Missing, PlanAction.Upload, local, null, "changed on disk");

    /// <summary>The file compared with its object, as a full sync compares them: <paramref name="head"/> null is no object
    /// (an upload). The HEAD made is the detector's only source of stored metadata (no second request).</summary>
    public Task<PlanEntry> CompareAsync(LocalEntry local, ObjectHead? head, IDigestSource digests, CancellationToken cancellationToken)
    {
        if (head is null) return Task.FromResult(new PlanEntry(local.Key, ChangeReason.Missing, PlanAction.Upload, local, null, $"{local.Size}"));
        var remote = new RemoteObject(local.Key, head.Size, head.ETag, head.StorageClass, head.LastModifiedUtc);
        var detector = PlanFactory.Detector(site, options, digests, new KnownHead(head));
        return SyncPlanner.CompareAsync(local, remote, detector, null, cancellationToken);
    }

    /// <summary>The HEAD already made, answered to the change detector.</summary>
    private sealed class KnownHead(ObjectHead head) : IFingerprintSource
    {
        public Task<ObjectHead?> HeadAsync(string relativeKey, CancellationToken cancellationToken) => Task.FromResult<ObjectHead?>(head);
    }
}
