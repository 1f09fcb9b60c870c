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

        Assert.Equal(18, text.Split('\n').Count(l => l.StartsWith("# TYPE s3sync_", StringComparison.Ordinal)));
        Assert.Contains("s3sync_data_objects_count{site=\"a\\\"b\"} 0", text);
        Assert.Contains("s3sync_errors_count{site=\"c\"} 0", text);
        Assert.Contains("# TYPE s3sync_errors_count untyped", text);
        Assert.Contains("# TYPE s3sync_errors_total counter", text);
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

    private sealed class FakeClock : TimeProvider
    {
        public long Now { get; set; } = 1_000_000;
        public override long TimestampFrequency => 1000;
        public override long GetTimestamp() => Now;
        public void Advance(TimeSpan by) => Now += (long)by.TotalMilliseconds;
    }

    [Fact]
    public void A_loop_is_stuck_only_when_it_works_without_waiting_or_progress_for_longer_than_the_bound()
    {
        var clock = new FakeClock();
        var site = new WatchMetrics().For("x");
        var bound = TimeSpan.FromMinutes(5);

        // Waiting for events, however long: idle, not stuck
        site.LoopWaiting();
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Null(site.StuckFor(clock, bound));

        // Working: not stuck within the bound, stuck after it
        site.LoopWorking(clock.GetTimestamp());
        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Null(site.StuckFor(clock, bound));
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(TimeSpan.FromMinutes(6), site.StuckFor(clock, bound));

        // An upload that ends is progress (the loop may wait for room in the upload queue)
        site.Progressed(clock.GetTimestamp());
        Assert.Null(site.StuckFor(clock, bound));
        clock.Advance(TimeSpan.FromMinutes(6));
        Assert.NotNull(site.StuckFor(clock, bound));

        // Back to waiting: live again
        site.LoopWaiting();
        Assert.Null(site.StuckFor(clock, bound));
    }
}
