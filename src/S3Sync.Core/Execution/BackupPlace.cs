using System.Globalization;
using S3Sync.Config;
using S3Sync.Remote;

namespace S3Sync.Execution;

/// <summary>
/// A site's <c>backup_path</c> for one run: before the run deletes or overwrites an object, <see cref="SaveAsync"/>
/// copies it server-side to <c>BACKUP_PATH/RUN/KEY</c> (RUN the run's UTC start, <c>2026-12-07T194555Z</c>; KEY relative
/// to the site), with its metadata, in the object's storage class unless <c>backup_storage_class</c> says otherwise.
/// The copy counts only once proved: it is taken only while the source's ETag is the one a HEAD just read (If-Match),
/// and a HEAD of the copy must show the same size and the same ETag, or the same stored MD5 (a copy of a multipart
/// object may get another ETag). Whoever deletes or overwrites does so only after a proved copy.
/// <para>A copy never replaces another version already saved at its key (two runs started in the same second, or a
/// long-lived <c>watch</c> overwriting one file twice): that key's save fails and the object is kept.</para>
/// </summary>
/// <param name="clock">For a long-lived run (<c>watch</c>): each save goes to the run folder of its own time, read from
/// this clock, so a file overwritten twice keeps both versions and <c>backup_keep</c> never expires a save made a
/// moment ago because the watch started long ago. Null: every save goes to <paramref name="runStarted"/>'s folder.</param>
public sealed class BackupPlace(Site site, IObjectStore store, DateTimeOffset runStarted, TimeProvider? clock = null)
{
    /// <summary>The folder name of a run: its UTC start to the second, no separators a shell or S3 would mind.</summary>
    public const string RunFormat = "yyyy-MM-dd'T'HHmmss'Z'";

    private readonly string _run = RunName(runStarted);

    /// <summary>The backup place: a sibling of the site's store bound to <see cref="PrefixOf"/> (same bucket, client and
    /// limits); its keys are <c>RUN/KEY</c>. Not disposed: a sibling owns nothing.</summary>
    private readonly IObjectStore _place = store.At(PrefixOf(site));

    /// <summary>How many seconds ahead a watch's save may go when its own second's folder holds another version.</summary>
    public const int MostSecondsAhead = 5;

    /// <summary>This run's folder under the backup prefix (with a clock, the folder a save made now goes to).</summary>
    public string Run => clock is null ? _run : RunName(clock.GetUtcNow());

    public static string RunName(DateTimeOffset at) => at.UtcDateTime.ToString(RunFormat, CultureInfo.InvariantCulture);

    /// <summary>The time a run folder's name stands for; false when the name is not one.</summary>
    public static bool TryParseRun(string name, out DateTime at) =>
        DateTime.TryParseExact(name.TrimEnd('/'), RunFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out at);

    /// <summary>The listing prefix of the backup place (<c>backup_path/</c>).</summary>
    public static string PrefixOf(Site site) => site.BackupPath!.TrimEnd('/') + "/";

    /// <summary>The full key of <paramref name="relativeKey"/>'s copy in this run's folder (as messages name it).</summary>
    public string KeyFor(string relativeKey) => _place.Location.Join(Run + "/" + relativeKey);

    /// <summary>
    /// Saves the object at <paramref name="relativeKey"/> before it is deleted or overwritten. Returns null when it is
    /// saved and proved (or is gone already: nothing to lose), else why not; the caller then keeps the object.
    /// </summary>
    public async Task<string?> SaveAsync(string relativeKey, CancellationToken cancellationToken)
    {
        var at = clock?.GetUtcNow() ?? runStarted;
        var saved = RunName(at) + "/" + relativeKey;
        var target = _place.Location.Join(saved); // as messages name it
        try
        {
            if (await store.HeadAsync(relativeKey, cancellationToken).ConfigureAwait(false) is not { } head) return null;
            // Another version saved at this key already (another run of the same second, an earlier overwrite): a copy
            // over it would lose it. The same object (a retried save) is copied again. A watch (a clock) takes the next
            // second's folder instead, a few times: a file saved twice within a second keeps both versions.
            for (var ahead = 1; await _place.HeadAsync(saved, cancellationToken).ConfigureAwait(false) is { } earlier
                && (ETag.Normalize(earlier.ETag) != ETag.Normalize(head.ETag) || earlier.Size != head.Size); ahead++)
            {
                if (clock is null || ahead > MostSecondsAhead)
                    return $"its backup copy {target} already holds another saved version (saved in the same second); not replaced";
                saved = RunName(at.AddSeconds(ahead)) + "/" + relativeKey;
                target = _place.Location.Join(saved);
            }
            var storageClass = site.BackupStorageClass ?? (head.StorageClass is { Length: > 0 } c ? c : Defaults.StorageClass);
            await (_place.Copy ?? throw StoreCapabilities.Missing("copy objects")).CopyAsync(store.Location, relativeKey, saved, null, storageClass, head.ETag, head.Size, cancellationToken).ConfigureAwait(false);
            var copy = await _place.HeadAsync(saved, cancellationToken).ConfigureAwait(false);
            if (copy is null) return $"its backup copy {target} is not there after the copy";
            if (copy.Size != head.Size) return $"its backup copy {target} holds {copy.Size} bytes, not {head.Size}";
            var sameETag = ETag.Normalize(copy.ETag) == ETag.Normalize(head.ETag);
            var sameMd5 = head.FingerprintMd5 is { } md5 && copy.FingerprintMd5 == md5;
            // A multipart source without a stored MD5: a copy in one request gets a new ETag, and the conditional copy
            // of exactly that many bytes is the proof there is.
            var parsed = ETag.TryParse(head.ETag, out _, out var parts);
            var multipart = parsed && parts > 0;
            // An unencrypted one-part object's ETag is the MD5 of its bytes, and so is its copy's: only the ETag proves
            // it (the stored MD5 is metadata the copy carries over whatever bytes it holds).
            var plainOnePart = parsed && parts == 0 && !head.CustomerKey && head.ServerSideEncryption is not ("aws:kms" or "aws:kms:dsse");
            if (!sameETag && (plainOnePart || (!sameMd5 && !(multipart && head.FingerprintMd5 is null))))
                return $"its backup copy {target} does not prove the same content (ETag {copy.ETag}, source {head.ETag})";
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return $"could not copy it to the backup place {target}: {StoreErrors.Describe(e)}";
        }
    }

    /// <summary>
    /// The run folders under the backup place older than <paramref name="keep"/> at <paramref name="now"/>, with the
    /// keys under each (relative to the backup place, <c>store.At(PrefixOf(site))</c>), and how many objects the backup
    /// place holds in all (the delete guard's base). A folder whose name is not a run's is left alone. Null when the
    /// store cannot list one level.
    /// </summary>
    public static async Task<(IReadOnlyList<string> Keys, IReadOnlyList<string> Runs, long Objects)?> ExpiredAsync(Site site, IObjectStore store, TimeSpan keep, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var place = store.At(PrefixOf(site));
        if (place.Folders is not { } folders || await folders.ListLevelAsync("", 100_000, cancellationToken).ConfigureAwait(false) is not { } level) return null;
        var cutoff = now.UtcDateTime - keep;
        var runs = level.Folders.Where(f => TryParseRun(f, out var at) && at < cutoff).ToList();
        var keys = new List<string>();
        long objects = level.Objects.Count;
        foreach (var folder in level.Folders)
        {
            var expired = runs.Contains(folder);
            await foreach (var o in place.ListAsync(folder.TrimEnd('/') + "/", null, cancellationToken).ConfigureAwait(false))
            {
                objects++;
                if (expired) keys.Add(o.Key);
            }
        }
        return (keys, runs, objects);
    }
}
