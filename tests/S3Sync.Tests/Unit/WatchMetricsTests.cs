using S3Sync.Watching;

namespace S3Sync.Tests.Unit;

public sealed class WatchMetricsTests
{
    [Fact]
    public void Delay_histogram_buckets_are_cumulative_and_end_with_inf()
    {
        var metrics = new WatchMetrics();
        var site = metrics.For("www");
        site.ObserveDelay(TimeSpan.FromMilliseconds(30));   // <= 0.05
        site.ObserveDelay(TimeSpan.FromMilliseconds(200));  // <= 0.25
        site.ObserveDelay(TimeSpan.FromMinutes(10));        // only +Inf

        var lines = metrics.Render().Split('\n');

        Assert.Contains("s3sync_upload_delay_seconds_bucket{site=\"www\",le=\"0.05\"} 1", lines);
        Assert.Contains("s3sync_upload_delay_seconds_bucket{site=\"www\",le=\"0.1\"} 1", lines);
        Assert.Contains("s3sync_upload_delay_seconds_bucket{site=\"www\",le=\"0.25\"} 2", lines);
        Assert.Contains("s3sync_upload_delay_seconds_bucket{site=\"www\",le=\"300\"} 2", lines);
        Assert.Contains("s3sync_upload_delay_seconds_bucket{site=\"www\",le=\"+Inf\"} 3", lines);
        Assert.Contains("s3sync_upload_delay_seconds_count{site=\"www\"} 3", lines);
        Assert.Contains("# TYPE s3sync_upload_delay_seconds histogram", lines);
    }

    [Fact]
    public void Every_family_has_one_help_and_type_line_and_site_labels_are_escaped()
    {
        var metrics = new WatchMetrics();
        metrics.For("a\"b");
        metrics.For("c");

        var text = metrics.Render();

        Assert.Equal(14, text.Split('\n').Count(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)));
        Assert.Contains("s3sync_data_objects_count{site=\"a\\\"b\"} 0", text);
        Assert.Contains("s3sync_errors_count{site=\"c\"} 0", text);
        Assert.Contains("# TYPE s3sync_errors_count counter", text);
    }

    [Fact]
    public void Healthy_only_after_initial_sync_and_with_watches()
    {
        var site = new WatchMetrics().For("x");
        site.WatchHealthy = true;
        Assert.False(site.Healthy);
        site.InitialSyncDone = true;
        Assert.True(site.Healthy);
        site.WatchHealthy = false;
        Assert.False(site.Healthy);
    }
}
