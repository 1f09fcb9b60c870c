using S3Sync.Watching;

namespace S3Sync.Tests.Unit;

/// <summary>The retry of a site's watch (issue #23, item 5), on a clock the test moves: one failure per try, waits
/// doubling from 1 s to 5 min, a log line only on a change of state.</summary>
public sealed class WatchBackoffTests
{
    private sealed class FakeClock : TimeProvider
    {
        public long Now { get; set; } = 1_000_000;
        public override long TimestampFrequency => 1000;
        public override long GetTimestamp() => Now;
        public void Advance(TimeSpan by) => Now += (long)by.TotalMilliseconds;
    }

    private readonly FakeClock _clock = new();

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(9, 256)]
    [InlineData(10, 300)]
    [InlineData(1000, 300)]
    public void The_wait_doubles_from_one_second_to_five_minutes(int failures, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), new WatchBackoff(_clock).Delay(failures));

    [Fact]
    public void A_limit_that_stays_reached_is_tried_less_and_less_often_and_logged_once()
    {
        var b = new WatchBackoff(_clock);
        // the first failure: logged, a try due in 1 s
        Assert.True(b.Failed("max_user_watches reached"));
        Assert.Equal(_clock.Now + 1000, b.NextDeadline);
        // the same failure reported again before the try (a rescan): nothing changes, nothing to log
        Assert.False(b.Failed("max_user_watches reached"));
        Assert.Equal(_clock.Now + 1000, b.NextDeadline);
        Assert.False(b.TryStart());

        var tries = new List<long>();
        var logged = 0;
        var start = _clock.Now;
        for (var ms = 0; ms < 20 * 60 * 1000; ms += 100)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            if (!b.TryStart()) continue;
            tries.Add((_clock.Now - start) / 1000);
            Assert.Equal(long.MaxValue, b.NextDeadline); // nothing else is due while the try runs
            if (b.Failed("max_user_watches reached")) logged++;
            Assert.False(b.Failed("max_user_watches reached")); // its second report is the same try's
        }

        // Then tries at 1, 3, 7, 15 ... seconds, then every 5 minutes: 12 in 20 minutes, not thousands, and no line
        Assert.Equal([1, 3, 7, 15, 31, 63, 127, 255, 511, 811, 1111], tries.Take(11));
        Assert.Equal(0, logged);
        Assert.True(b.Failing);
    }

    [Fact]
    public void Another_reason_is_logged_and_a_success_is_logged_once_and_starts_over()
    {
        var b = new WatchBackoff(_clock);
        Assert.True(b.Failed("inotify_init1 failed: Too many open files"));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(b.TryStart());
        Assert.True(b.Failed("local_path does not exist")); // another reason: a line
        Assert.Equal(2, b.Failures);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(b.TryStart());
        Assert.True(b.Succeeded());
        Assert.False(b.Succeeded());
        Assert.False(b.Failing);
        Assert.Equal(long.MaxValue, b.NextDeadline);
        // a new failure starts from 1 s again
        Assert.True(b.Failed("watch limit"));
        Assert.Equal(_clock.Now + 1000, b.NextDeadline);
    }
}
