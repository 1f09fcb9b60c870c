using System.CommandLine;
using System.Runtime.CompilerServices;
using S3Sync.Config;
using S3Sync.Remote;
using S3Sync.Reporting;

namespace S3Sync.Cli.Commands;

/// <summary><c>s3sync ls</c>: what a bucket holds under a prefix or a site's prefix, now, at a point in time or every
/// version, with the file metadata s3sync stored (<c>-l</c>). Reads only.</summary>
public static class LsCommand
{
    /// <summary>HEADs in flight for <c>-l</c> (each object's stored mode and mtime); the lines stay in key order.</summary>
    private const int HeadWindow = 32;

    public static Command Create()
    {
        var common = new CommonOptions(listing: true);
        var @long = new Option<bool>("--long", "-l") { Description = "Mode, size, mtime (from the file metadata s3sync stored; else '-' and the upload time) and storage class; a HEAD per object" };
        var json = new Option<bool>("--json") { Description = "JSON Lines: one object per key (key, size, last_modified, storage_class, etag; with -l mode, mtime, uid, gid)" };
        var versions = new Option<bool>("--versions") { Description = "Every version and delete marker of a versioned bucket, newest first per key" };
        var at = new Option<string?>("--at") { Description = "The tree as it was at this time on a versioned bucket (RFC 3339 or a local date and time)", HelpName = "TIME" };
        var depth = new Option<string?>("--depth") { Description = "Show keys at most N folders deep; deeper keys are shown as their folder (default: every key, recursively)", HelpName = "N" };
        var command = new Command("ls", "List what the bucket holds under a prefix or a site's prefix, recursively; changes nothing. Exit 0 listed, 2 usage or configuration error, 3 the listing failed, 5 no usable credentials.")
            .WithExamples(
                "s3sync ls s3://backup/host1/etc",
                "s3sync ls -c /etc/s3sync/config.yml --site etc -l --depth 1",
                "s3sync ls -c /etc/s3sync/config.yml --site etc --at '2026-11-30 12:00' --json");
        common.AddTo(command);
        command.Options.Add(@long);
        command.Options.Add(json);
        command.Options.Add(versions);
        command.Options.Add(at);
        command.Options.Add(depth);
        command.SetAction((result, cancellationToken) =>
        {
            var error = result.InvocationConfiguration.Error;
            var (config, _, code) = common.Load(result, error);
            if (config is null) return Task.FromResult(code);
            DateTime? when = null;
            if (result.GetValue(at) is { } atText)
            {
                if (!RestoreCommand.TryParseTime(atText, out var parsed))
                {
                    error.WriteLine($"s3sync: --at: '{atText}' is not a time: give RFC 3339 (2026-11-30T12:00:00Z) or a local date and time (2026-11-30 12:00)");
                    return Task.FromResult(ExitCodes.Usage);
                }
                when = parsed;
            }
            if (when is not null && result.GetValue(versions))
            {
                error.WriteLine("s3sync: --at and --versions cannot be combined: --versions lists every version, --at the ones current at that time");
                return Task.FromResult(ExitCodes.Usage);
            }
            int? levels = null;
            if (result.GetValue(depth) is { } depthText)
            {
                if (!int.TryParse(depthText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1)
                {
                    error.WriteLine($"s3sync: --depth: must be a whole number from 1, got '{depthText}'");
                    return Task.FromResult(ExitCodes.Usage);
                }
                levels = n;
            }
            var options = new LsOptions(result.GetValue(@long), result.GetValue(json), result.GetValue(versions), when, levels);
            return RunAsync(config, options, result.InvocationConfiguration.Output, error, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(SyncConfig config, LsOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var worst = ExitCodes.Ok;
        var several = config.Sites.Count > 1;
        foreach (var site in config.Sites)
        {
            if (several && !options.Json) output.WriteLine($"{Printable.Escape(site.Name)}:");
            using var store = SiteStores.For(site, HeadWindow, config.S3OpsRetries, config.RequestTimeout);
            var fold = options.Depth is { } depth ? new DepthFold(depth) : null;
            try
            {
                await foreach (var line in LinesAsync(store, site, options, cancellationToken).ConfigureAwait(false))
                {
                    var shown = line;
                    if (fold?.Fold(line.Key, out var skip) is { } folder)
                    {
                        if (skip) continue;
                        shown = new ListingLine(folder, 0, default, "", "") { IsFolder = true };
                    }
                    output.WriteLine(options.Json ? ListingFormat.Json(shown, site.Name) : ListingFormat.Text(shown, options.Long));
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var kind = StoreFailure.Classify(e);
                var why = !StoreFailure.StopsSite(kind) ? StoreErrors.Describe(e) : StoreFailure.Explain(e, site);
                error.WriteLine($"s3sync: ls s3://{Printable.Escape(site.Bucket)}/{Printable.Escape(site.ListPrefix)}: {Printable.Escape(why)}");
                worst = Math.Max(worst, kind == StoreErrorKind.Credentials ? ExitCodes.Credentials : ExitCodes.Failed);
            }
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        return worst;
    }

    /// <summary>The listing as lines in key order; with <c>-l</c> each object's stored metadata is read by a window of
    /// HEADs running ahead of the output.</summary>
    private static async IAsyncEnumerable<ListingLine> LinesAsync(IObjectStore store, Site site, LsOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var window = new Queue<Task<ListingLine>>();
        await foreach (var line in ListAsync(store, site, options, cancellationToken).ConfigureAwait(false))
        {
            // A folder that --depth shows for its keys needs no HEAD (only the first key of a folder is ever shown).
            window.Enqueue(options.Long && !line.IsDeleteMarker ? WithMetadataAsync(store, site, line, cancellationToken) : Task.FromResult(line));
            while (window.Count >= HeadWindow || (window.Count > 0 && window.Peek().IsCompleted))
                yield return await window.Dequeue().ConfigureAwait(false);
        }
        while (window.Count > 0) yield return await window.Dequeue().ConfigureAwait(false);
    }

    private static async Task<ListingLine> WithMetadataAsync(IObjectStore store, Site site, ListingLine line, CancellationToken cancellationToken)
    {
        var head = await (line.VersionId is null ? store.HeadAsync(line.Key, cancellationToken)
            : (store.Versions ?? throw StoreCapabilities.Missing("read versions")).HeadAsync(line.Key, line.VersionId, cancellationToken)).ConfigureAwait(false);
        return head?.File is { } file ? line with { File = file } : line;
    }

    private static async IAsyncEnumerable<ListingLine> ListAsync(IObjectStore store, Site site, LsOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (options.Versions)
        {
            await foreach (var v in (store.Versions ?? throw StoreCapabilities.Missing("list versions")).ListVersionsAsync(cancellationToken).ConfigureAwait(false))
                yield return new ListingLine(v.Key, v.Size, v.LastModifiedUtc, v.StorageClass, v.ETag) { VersionId = v.VersionId, IsLatest = v.IsLatest, IsDeleteMarker = v.IsDeleteMarker };
            yield break;
        }
        // The current listing is split by folder and listed side by side, as sync's is (the same stream, in key order).
        var listing = options.At is { } at ? S3Sync.Planning.RangeListing.ListAtAsync(store, at, cancellationToken) : S3Sync.Planning.RangeListing.ListAsync(store, cancellationToken);
        await foreach (var o in listing.ConfigureAwait(false))
            yield return new ListingLine(o.Key, o.Size, o.LastModifiedUtc, o.StorageClass, o.ETag) { VersionId = o.VersionId };
    }
}
