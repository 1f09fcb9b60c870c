using System.Globalization;
using S3Sync.Config;
using S3Sync.Local;
using S3Sync.Planning;

namespace S3Sync.Reporting;

/// <summary>
/// Writes the plan as the report that <c>verify</c> and <c>sync --dry-run</c> print: per site, one line per difference
/// in key order (<c>+ * - . ? !</c>, and <c>=</c> with <c>--all</c>), then a summary per site and in total; or JSON Lines.
/// The report holds keys, sizes, ETags and storage classes, never a credential or the endpoint.
/// </summary>
/// <remarks>Walk errors (an unreadable folder) arrive through a callback while the walk runs a little ahead of the
/// plan; they are held back and written at their place in key order, so the report stays sorted.</remarks>
public sealed class PlanReport(TextWriter output, bool json, bool all)
{
    private readonly JsonLines _json = new(output);
    private readonly ReportTotals _total = new();
    private readonly List<(string Key, string Message)> _pending = [];
    private bool _totalComplete = true;

    public ReportTotals Total => _total;

    /// <summary><c>verify -q</c>: only error lines (<c>!</c>); no headers, differences or summaries. Totals still count.</summary>
    public bool ErrorsOnly { get; init; }

    public void SiteHeader(Site site, bool download = false)
    {
        if (json || ErrorsOnly) return;
        output.WriteLine(download
            ? $"site {site.Name}: s3://{site.Bucket}/{site.ListPrefix} -> {site.LocalPath}"
            : $"site {site.Name}: {site.LocalPath} -> s3://{site.Bucket}/{site.ListPrefix}");
    }

    public void Entry(Site site, PlanEntry entry, ReportTotals totals)
    {
        FlushPending(site, entry.Key);
        totals.Add(entry);
        if (entry.Reason == ChangeReason.Vanished || (entry.Reason == ChangeReason.InSync && !all)) return;
        if (ErrorsOnly && entry.Symbol != '!') return;
        if (json)
        {
            Write(new JsonReportLine
            {
                Type = "entry",
                Site = site.Name,
                Key = entry.Key,
                Kind = KindName(entry.Reason),
                Symbol = entry.Symbol.ToString(),
                Reason = entry.Reason is ChangeReason.Missing or ChangeReason.InSync or ChangeReason.RemoteOnly ? null : entry.Detail,
                LocalSize = entry.Local?.Size,
                RemoteSize = entry.Remote?.Size,
                Etag = entry.Remote?.ETag,
                StorageClass = entry.Remote?.StorageClass,
                WantedStorageClass = entry.Local is null ? null : site.StorageClass,
            });
            return;
        }
        var text = entry.Reason switch
        {
            ChangeReason.Missing => (entry.Local?.Size ?? entry.Remote!.Size).ToString(CultureInfo.InvariantCulture),
            ChangeReason.LocalOnly => null,
            ChangeReason.RemoteOnly or ChangeReason.InSync => null,
            ChangeReason.SizeDiffers => "size differs",
            ChangeReason.ChecksumDiffers => "content differs",
            _ => entry.Detail,
        };
        Line(entry.Symbol, entry.Key, text);
    }

    /// <summary>A site-wide error (the listing failed, local_path is missing): written at once.</summary>
    public void SiteError(Site site, string where, string message, ReportTotals totals)
    {
        totals.Errors++;
        if (json) Write(new JsonReportLine { Type = "entry", Site = site.Name, Key = where, Kind = "error", Symbol = "!", Reason = message });
        else Line('!', where, message);
    }

    /// <summary>An error the walk met at a path: written as the key it stands for, in key order.</summary>
    public void WalkError(Site site, string path, string message, ReportTotals totals)
    {
        var key = KeyForPath(site, path);
        if (key is null)
        {
            SiteError(site, path, message, totals);
            return;
        }
        _pending.Add((key, message));
        _pending.Sort((a, b) => KeyOrder.Instance.Compare(a.Key, b.Key));
        totals.Errors++;
    }

    public void SiteSummary(Site site, ReportTotals totals, TimeSpan elapsed, bool complete)
    {
        FlushPending(site, null);
        _total.Add(totals);
        _totalComplete &= complete;
        if (ErrorsOnly) return;
        if (json)
        {
            Write(new JsonReportLine { Type = "summary", Site = site.Name, Totals = totals, Differences = totals.Differences, Seconds = Seconds(elapsed), Complete = complete });
            return;
        }
        output.WriteLine($"site {site.Name}: {SummaryText(totals)}; {Sizes.Duration(elapsed)}" + (complete ? "" : " (incomplete)"));
    }

    /// <summary>The last line, always: the whole run.</summary>
    public void TotalSummary(TimeSpan elapsed)
    {
        if (ErrorsOnly) return;
        if (json)
        {
            Write(new JsonReportLine { Type = "total", Totals = _total, Differences = _total.Differences, Seconds = Seconds(elapsed), Complete = _totalComplete });
            return;
        }
        output.WriteLine($"total: {SummaryText(_total)}; {Sizes.Duration(elapsed)}" + (_totalComplete ? "" : " (incomplete)"));
    }

    private static string SummaryText(ReportTotals t) =>
        $"{t.Differences} differences: {t.Missing} missing ({Sizes.Bytes(t.MissingBytes)}), {t.Differs} differing ({Sizes.Bytes(t.DiffersBytes)}), " +
        $"{t.RemoteOnly} only in S3 ({Sizes.Bytes(t.RemoteOnlyBytes)}), {t.Kept} kept ({Sizes.Bytes(t.KeptBytes)}), " +
        $"{t.CannotCompare} cannot compare ({Sizes.Bytes(t.CannotCompareBytes)}), {t.Errors} errors; {t.InSync} in sync ({Sizes.Bytes(t.InSyncBytes)})";

    private static double Seconds(TimeSpan elapsed) => Math.Round(elapsed.TotalSeconds, 3);

    private void FlushPending(Site site, string? before)
    {
        var n = 0;
        while (n < _pending.Count && (before is null || KeyOrder.Instance.Compare(_pending[n].Key, before) < 0))
        {
            var (key, message) = _pending[n++];
            if (json) Write(new JsonReportLine { Type = "entry", Site = site.Name, Key = key, Kind = "error", Symbol = "!", Reason = message });
            else Line('!', key, message);
        }
        _pending.RemoveRange(0, n);
    }

    private void Line(char symbol, string key, string? text) =>
        output.WriteLine(text is null ? $"{symbol} {Escape(key)}" : $"{symbol} {Escape(key)}  {text}");

    private void Write(JsonReportLine line) => _json.Write(line);

    /// <summary>The key a local path stands for (a folder's ends with '/'), or null when it is not below the site's folder.</summary>
    public static string? KeyForPath(Site site, string path)
    {
        var root = site.LocalPath.EndsWith(Path.DirectorySeparatorChar) ? site.LocalPath : site.LocalPath + Path.DirectorySeparatorChar;
        if (!path.StartsWith(root, StringComparison.Ordinal) || path.Length == root.Length) return null;
        var key = path[root.Length..].Replace(Path.DirectorySeparatorChar, '/');
        return Directory.Exists(path) && !key.EndsWith('/') ? key + "/" : key;
    }

    public static string KindName(ChangeReason reason) => reason switch
    {
        ChangeReason.InSync => "in_sync",
        ChangeReason.Missing => "missing",
        ChangeReason.SizeDiffers => "size_differs",
        ChangeReason.ChecksumDiffers => "content_differs",
        ChangeReason.StorageClassDiffers => "storage_class_differs",
        ChangeReason.MetadataDiffers => "metadata_differs",
        ChangeReason.SettingsDiffer => "settings_differ",
        ChangeReason.Archived => "archived",
        ChangeReason.RemoteOnly => "remote_only",
        ChangeReason.RemoteOnlyKept => "remote_only_kept",
        ChangeReason.LocalOnly => "local_only",
        ChangeReason.LocalOnlyKept => "local_only_kept",
        ChangeReason.CannotCompare => "cannot_compare",
        ChangeReason.Error => "error",
        ChangeReason.OutsideWindow => "outside_window",
        _ => "vanished",
    };

    /// <summary>Keys may hold newlines or control characters; one entry stays one line (see <see cref="Printable"/>).</summary>
    public static string Escape(string key) => Printable.Escape(key);
}
