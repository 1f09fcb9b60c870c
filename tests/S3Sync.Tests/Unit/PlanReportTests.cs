using System.Text.Json;
using S3Sync.Config;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Reporting;

namespace S3Sync.Tests.Unit;

/// <summary>The report's line formats and order, from plan entries made by hand.</summary>
public class PlanReportTests
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "s3sync-report-" + Guid.NewGuid().ToString("N")[..8]);
    private static readonly Site Site = new() { Name = "www", LocalPath = Root, Bucket = "b", Prefix = "p", StorageClass = "STANDARD_IA" };

    private static LocalEntry L(string key, long size) => new(key, Path.Combine(Root, key), size, default);
    private static RemoteObject R(string key, long size, string cls = "STANDARD_IA") => new(key, size, "0123456789abcdef0123456789abcdef", cls, default);

    private static readonly PlanEntry[] Plan =
    [
        new("a.txt", ChangeReason.Missing, PlanAction.Upload, L("a.txt", 12), null, "12"),
        new("b.txt", ChangeReason.SizeDiffers, PlanAction.Upload, L("b.txt", 3), R("b.txt", 4), "size differs (local 3, S3 4)"),
        new("c.txt", ChangeReason.ChecksumDiffers, PlanAction.Upload, L("c.txt", 4), R("c.txt", 4), "content differs"),
        new("d.txt", ChangeReason.StorageClassDiffers, PlanAction.ChangeStorageClass, L("d.txt", 5), R("d.txt", 5, "STANDARD"), "storage class STANDARD -> STANDARD_IA"),
        new("e.txt", ChangeReason.RemoteOnly, PlanAction.Delete, null, R("e.txt", 6)),
        new("f.txt", ChangeReason.RemoteOnlyKept, PlanAction.None, null, R("f.txt", 7), "only in S3 (kept)"),
        new("g.bin", ChangeReason.CannotCompare, PlanAction.None, L("g.bin", 8), R("g.bin", 8), "cannot compare: the ETag 'x' is not an MD5"),
        new("h.txt", ChangeReason.Error, PlanAction.None, L("h.txt", 9), R("h.txt", 9), "cannot read: permission denied"),
        new("i.txt", ChangeReason.InSync, PlanAction.None, L("i.txt", 10), R("i.txt", 10)),
        new("j.txt", ChangeReason.Vanished, PlanAction.None, L("j.txt", 11), R("j.txt", 11), "deleted before it could be read"),
        new("new\nline", ChangeReason.Missing, PlanAction.Upload, L("new\nline", 1), null, "1"),
    ];

    private static string Render(bool json, bool all, Action<PlanReport, ReportTotals>? before = null)
    {
        var output = new StringWriter();
        var report = new PlanReport(output, json, all);
        var totals = new ReportTotals();
        report.SiteHeader(Site);
        before?.Invoke(report, totals);
        foreach (var e in Plan) report.Entry(Site, e, totals);
        report.SiteSummary(Site, totals, TimeSpan.FromSeconds(1.2), complete: true);
        report.TotalSummary(TimeSpan.FromSeconds(1.5));
        return output.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    [Fact]
    public void Text_report_has_one_line_per_difference_and_the_summaries()
    {
        var text = Render(json: false, all: true);

        Assert.Equal($"""
            site www: {Root} -> s3://b/p/
            + a.txt  12
            * b.txt  size differs
            * c.txt  content differs
            * d.txt  storage class STANDARD -> STANDARD_IA
            - e.txt
            . f.txt  only in S3 (kept)
            ? g.bin  cannot compare: the ETag 'x' is not an MD5
            ! h.txt  cannot read: permission denied
            = i.txt
            + new\nline  1
            site www: 9 differences: 2 missing (13 B), 3 differing (12 B), 1 only in S3 (6 B), 1 kept (7 B), 1 cannot compare (8 B), 1 errors; 1 in sync (10 B); 1.2s
            total: 9 differences: 2 missing (13 B), 3 differing (12 B), 1 only in S3 (6 B), 1 kept (7 B), 1 cannot compare (8 B), 1 errors; 1 in sync (10 B); 1.5s

            """, text);
    }

    [Fact]
    public void In_sync_keys_are_listed_only_with_all()
    {
        Assert.DoesNotContain("= i.txt", Render(json: false, all: false));
        Assert.DoesNotContain("in_sync\"", Render(json: true, all: false).Split('\n')[0]);
        Assert.DoesNotContain("\"key\":\"i.txt\"", Render(json: true, all: false));
    }

    [Fact]
    public void Walk_errors_are_written_at_their_place_in_key_order()
    {
        var text = Render(json: false, all: false, (report, totals) =>
        {
            report.WalkError(Site, Path.Combine(Root, "f", "sub"), "cannot read folder: permission denied", totals);
            report.WalkError(Site, Path.Combine(Root, "c-first"), "cannot read folder: gone", totals);
            report.WalkError(Site, Path.Combine(Root, "z"), "cannot read folder: late", totals);
        });

        var lines = text.Split('\n');
        Assert.Equal("* b.txt  size differs", lines[2]);
        Assert.Equal("! c-first  cannot read folder: gone", lines[3]);
        Assert.Equal("* c.txt  content differs", lines[4]);
        Assert.Equal(". f.txt  only in S3 (kept)", lines[7]);
        Assert.Equal("! f/sub  cannot read folder: permission denied", lines[8]);
        Assert.Equal("? g.bin  cannot compare: the ETag 'x' is not an MD5", lines[9]);
        Assert.Equal("+ new\\nline  1", lines[11]);
        Assert.Equal("! z  cannot read folder: late", lines[12]);
        Assert.StartsWith("site www: 12 differences", lines[13]);
    }

    [Fact]
    public void Json_lines_carry_the_documented_fields()
    {
        var lines = Render(json: true, all: true).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

        Assert.Equal(12, lines.Count);
        var d = lines[3];
        Assert.Equal(["type", "site", "key", "kind", "symbol", "reason", "local_size", "remote_size", "etag", "storage_class", "wanted_storage_class"], d.EnumerateObject().Select(p => p.Name));
        Assert.Equal("storage_class_differs", d.GetProperty("kind").GetString());
        Assert.Equal("new\nline", lines[9].GetProperty("key").GetString());
        Assert.Equal(["type", "site", "totals", "differences", "seconds", "complete"], lines[10].EnumerateObject().Select(p => p.Name));
        Assert.Equal(1.2, lines[10].GetProperty("seconds").GetDouble());
        Assert.Equal(["type", "totals", "differences", "seconds", "complete"], lines[11].EnumerateObject().Select(p => p.Name));
        Assert.Equal(9, lines[11].GetProperty("differences").GetInt64());
    }
}
