using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using S3Sync.Config;
using S3Sync.Planning;

namespace S3Sync.Reporting;

/// <summary>Counts and bytes per kind of difference for one site (or the total).</summary>
public sealed class ReportTotals
{
    public long InSync { get; set; }
    public long Missing { get; set; }
    public long MissingBytes { get; set; }
    public long Differs { get; set; }
    public long DiffersBytes { get; set; }
    public long RemoteOnly { get; set; }
    public long RemoteOnlyBytes { get; set; }
    public long Kept { get; set; }
    public long KeptBytes { get; set; }
    public long CannotCompare { get; set; }
    public long Errors { get; set; }

    public long Differences => Missing + Differs + RemoteOnly + Kept + CannotCompare + Errors;

    public void Add(PlanEntry e)
    {
        switch (e.Symbol)
        {
            case '=': InSync++; break;
            case '+': Missing++; MissingBytes += e.Local?.Size ?? 0; break;
            case '*': Differs++; DiffersBytes += e.Local?.Size ?? 0; break;
            case '-': RemoteOnly++; RemoteOnlyBytes += e.Remote?.Size ?? 0; break;
            case '.': Kept++; KeptBytes += e.Remote?.Size ?? 0; break;
            case '?': CannotCompare++; break;
            case '!': Errors++; break;
        }
    }

    public void Add(ReportTotals o)
    {
        InSync += o.InSync; Missing += o.Missing; MissingBytes += o.MissingBytes; Differs += o.Differs; DiffersBytes += o.DiffersBytes;
        RemoteOnly += o.RemoteOnly; RemoteOnlyBytes += o.RemoteOnlyBytes; Kept += o.Kept; KeptBytes += o.KeptBytes;
        CannotCompare += o.CannotCompare; Errors += o.Errors;
    }
}

/// <summary>One line of the JSON Lines report: an entry, or (with <c>type</c> "summary") a site's or the total's summary.</summary>
public sealed record JsonReportLine
{
    public required string Type { get; init; }
    public required string Site { get; init; }
    public string? Key { get; init; }
    public string? Kind { get; init; }
    public string? Symbol { get; init; }
    public string? Reason { get; init; }
    public long? LocalSize { get; init; }
    public long? RemoteSize { get; init; }
    public string? Etag { get; init; }
    public string? StorageClass { get; init; }
    public ReportTotals? Totals { get; init; }
    public long? Differences { get; init; }
    public double? Seconds { get; init; }
    public bool? Complete { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JsonReportLine))]
public sealed partial class ReportJsonContext : JsonSerializerContext;

/// <summary>
/// Writes the plan as the report that <c>verify</c> and <c>sync --dry-run</c> print: one line per difference in key
/// order (<c>+ * - . ? !</c>, and <c>=</c> with <c>--all</c>), then a summary per site and in total; or JSON Lines.
/// </summary>
public sealed class PlanReport(TextWriter output, bool json, bool all)
{
    private readonly ReportTotals _total = new();
    private int _sites;
    private bool _totalComplete = true;

    public ReportTotals Total => _total;

    public void SiteHeader(Site site)
    {
        if (json) return;
        output.WriteLine($"site {site.Name}: {site.LocalPath} -> s3://{site.Bucket}/{site.ListPrefix}");
    }

    public void Entry(Site site, PlanEntry entry, ReportTotals totals)
    {
        totals.Add(entry);
        if (entry.Reason == ChangeReason.Vanished || (entry.Reason == ChangeReason.InSync && !all)) return;
        if (json)
        {
            Write(new JsonReportLine
            {
                Type = "entry",
                Site = site.Name,
                Key = entry.Key,
                Kind = KindName(entry.Reason),
                Symbol = entry.Symbol.ToString(),
                Reason = entry.Detail is { } d && entry.Reason != ChangeReason.Missing ? d : null,
                LocalSize = entry.Local?.Size,
                RemoteSize = entry.Remote?.Size,
                Etag = entry.Remote?.ETag,
                StorageClass = entry.Remote?.StorageClass,
            });
            return;
        }
        var text = entry.Reason switch
        {
            ChangeReason.Missing => entry.Local!.Size.ToString(CultureInfo.InvariantCulture),
            ChangeReason.RemoteOnly or ChangeReason.InSync => null,
            ChangeReason.SizeDiffers => "size differs",
            ChangeReason.ChecksumDiffers => "content differs",
            _ => entry.Detail,
        };
        output.WriteLine(text is null ? $"{entry.Symbol} {Escape(entry.Key)}" : $"{entry.Symbol} {Escape(entry.Key)}  {text}");
    }

    public void SiteError(Site site, string key, string message, ReportTotals totals)
    {
        totals.Errors++;
        if (json) Write(new JsonReportLine { Type = "entry", Site = site.Name, Key = key, Kind = "error", Symbol = "!", Reason = message });
        else output.WriteLine($"! {Escape(key)}  {message}");
    }

    public void SiteSummary(Site site, ReportTotals totals, TimeSpan elapsed, bool complete)
    {
        _sites++;
        _total.Add(totals);
        _totalComplete &= complete;
        Summary(site.Name, totals, elapsed, complete);
    }

    public void TotalSummary(TimeSpan elapsed)
    {
        if (_sites > 1 || json) Summary(json ? "" : "total", _total, elapsed, _totalComplete, total: true);
    }

    private void Summary(string name, ReportTotals t, TimeSpan elapsed, bool complete, bool total = false)
    {
        if (json)
        {
            Write(new JsonReportLine { Type = total ? "total" : "summary", Site = name, Totals = t, Differences = t.Differences, Seconds = Math.Round(elapsed.TotalSeconds, 3), Complete = complete });
            return;
        }
        var line = $"{name}: {t.Differences} differences; {t.Missing} missing ({Sizes.Bytes(t.MissingBytes)}), {t.Differs} differing ({Sizes.Bytes(t.DiffersBytes)}), " +
                   $"{t.RemoteOnly} only in S3 ({Sizes.Bytes(t.RemoteOnlyBytes)}), {t.Kept} kept ({Sizes.Bytes(t.KeptBytes)}), {t.CannotCompare} cannot compare, {t.Errors} errors, " +
                   $"{t.InSync} in sync; {Sizes.Duration(elapsed)}" + (complete ? "" : " (incomplete)");
        output.WriteLine(line);
    }

    private void Write(JsonReportLine line) => output.WriteLine(JsonSerializer.Serialize(line, ReportJsonContext.Default.JsonReportLine));

    public static string KindName(ChangeReason reason) => reason switch
    {
        ChangeReason.InSync => "in_sync",
        ChangeReason.Missing => "missing",
        ChangeReason.SizeDiffers => "size_differs",
        ChangeReason.ChecksumDiffers => "content_differs",
        ChangeReason.StorageClassDiffers => "storage_class_differs",
        ChangeReason.Archived => "archived",
        ChangeReason.RemoteOnly => "remote_only",
        ChangeReason.RemoteOnlyKept => "remote_only_kept",
        ChangeReason.CannotCompare => "cannot_compare",
        ChangeReason.Error => "error",
        _ => "vanished",
    };

    /// <summary>Keys may hold newlines or control characters; one entry stays one line.</summary>
    public static string Escape(string key)
    {
        if (!key.Any(char.IsControl)) return key;
        var sb = new System.Text.StringBuilder();
        foreach (var c in key)
        {
            if (c == '\\') sb.Append("\\\\");
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\t') sb.Append("\\t");
            else if (c == '\r') sb.Append("\\r");
            else if (char.IsControl(c)) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
