using System.Text.Json;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Planning;
using S3Sync.Reporting;

namespace S3Sync.Tests.Unit;

/// <summary>The JSON Lines of sync and restore, written from events without any I/O.</summary>
public sealed class ActionReportTests
{
    private static readonly Site Www = new() { Name = "www", LocalPath = "/srv/www", Bucket = "b" };

    private static List<string> Render(bool quiet)
    {
        var output = new StringWriter();
        var report = new ActionReport(output, dryRun: false, download: false) { ErrorsOnly = quiet };
        report.Action(Www, new ActionEvent(ActionLine.Upload, "a\n\"b\".txt", ActionStatus.Done, ChangeReason.Missing, 3));
        report.Action(Www, new ActionEvent(ActionLine.Upload, "c.txt", ActionStatus.Failed, ChangeReason.ChecksumDiffers, Why: "cannot read: permission denied"));
        report.Action(Www, new ActionEvent(ActionLine.Delete, "old.txt", ActionStatus.Held, ChangeReason.RemoteOnly, Why: "more than max_delete 0"));
        report.Problem(Www, new SiteProblem("locked/", "cannot read folder: permission denied"));
        var stats = new SiteStats();
        stats.AddUploaded(3);
        stats.AddFailed();
        report.SiteSummary(new SiteResult(Www, SiteStatus.DeletesRefused, stats, TimeSpan.FromMilliseconds(1234.5678), []));
        report.TotalSummary(SiteStatus.DeletesRefused, TimeSpan.FromSeconds(2), 4);
        return [.. output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    [Fact]
    public void Every_event_is_one_line_of_valid_json_and_the_total_comes_last()
    {
        var lines = Render(quiet: false);

        Assert.Equal(
            [
                """{"type":"action","site":"www","key":"a\n\"b\".txt","action":"upload","status":"done","kind":"missing","size":3}""",
                """{"type":"action","site":"www","key":"c.txt","action":"upload","status":"failed","kind":"content_differs","error":"cannot read: permission denied"}""",
                """{"type":"action","site":"www","key":"old.txt","action":"delete","status":"held","kind":"remote_only","reason":"more than max_delete 0"}""",
                """{"type":"error","site":"www","key":"locked/","error":"cannot read folder: permission denied"}""",
                """{"type":"summary","site":"www","status":"deletes_refused","totals":{"uploaded":1,"uploaded_bytes":3,"copied":0,"deleted":0,"held":1,"unchanged":0,"kept":0,"skipped":0,"failed":1},"seconds":1.235}""",
                """{"type":"total","status":"deletes_refused","totals":{"uploaded":1,"uploaded_bytes":3,"copied":0,"deleted":0,"held":1,"unchanged":0,"kept":0,"skipped":0,"failed":1},"seconds":2,"exit_code":4}""",
            ],
            lines);
        foreach (var line in lines) JsonDocument.Parse(line).Dispose();
    }

    [Fact]
    public void Quiet_keeps_only_failed_actions_and_errors()
    {
        var lines = Render(quiet: true);

        Assert.Equal(2, lines.Count);
        Assert.Contains("\"status\":\"failed\"", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("{\"type\":\"error\"", lines[1], StringComparison.Ordinal);
    }
}
