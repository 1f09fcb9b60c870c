using S3Sync.Config;
using S3Sync.Execution;

namespace S3Sync.Tests.Unit;

/// <summary>The one delete guard: max_delete over a 60 s window, on a clock the test moves.</summary>
public sealed class DeleteGuardTests
{
    private sealed class FakeClock : TimeProvider
    {
        public long Now { get; set; } = 1_000_000;
        public override long TimestampFrequency => 1000;
        public override long GetTimestamp() => Now;
        public void Advance(TimeSpan by) => Now += (long)by.TotalMilliseconds;
    }

    [Theory]
    // limit, objects, earlier deletions in the window, now asked, allowed
    [InlineData("10", 1000, 0, 10, true)]
    [InlineData("10", 1000, 0, 11, false)]
    [InlineData("10", 1000, 6, 4, true)]
    [InlineData("10", 1000, 6, 5, false)]
    [InlineData("10%", 100, 5, 5, true)]
    [InlineData("10%", 100, 5, 6, false)]
    [InlineData("unlimited", 10, 10, 1000, true)]
    public void Deletions_in_the_window_add_up_against_max_delete(string limit, long objects, long earlier, long now, bool allowed)
    {
        Assert.True(DeleteLimit.TryParse(limit, out var parsed));
        var guard = new DeleteGuard(parsed, new FakeClock());
        Assert.True(guard.Check(earlier, objects, localFiles: 1).Allowed);

        var verdict = guard.CheckEvents(now, rootEmpty: false);

        Assert.Equal(allowed, verdict.Allowed);
        Assert.Equal(earlier + now, verdict.InWindow);
    }

    [Fact]
    public void Deletions_older_than_the_window_no_longer_count()
    {
        var clock = new FakeClock();
        var guard = new DeleteGuard(new DeleteLimit(10, -1), clock);
        Assert.True(guard.Check(10, 1000, 1).Allowed);
        Assert.False(guard.CheckEvents(1, false).Allowed);

        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.False(guard.CheckEvents(1, false).Allowed);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(guard.CheckEvents(10, false).Allowed);
        Assert.Equal(10, guard.InWindow);
    }

    [Fact]
    public void A_refused_batch_is_not_counted_in_the_window()
    {
        var guard = new DeleteGuard(new DeleteLimit(10, -1), new FakeClock());
        Assert.False(guard.CheckEvents(11, false).Allowed);
        Assert.True(guard.CheckEvents(10, false).Allowed);
    }

    [Fact]
    public void The_default_limit_allows_twenty_in_the_window_then_half_of_the_objects()
    {
        var guard = new DeleteGuard(DeleteLimit.Default, new FakeClock());
        Assert.True(guard.Check(0, 30, 30).Allowed);
        Assert.True(guard.CheckEvents(20, false).Allowed);
        Assert.False(guard.CheckEvents(1, false).Allowed); // 21 of 30 is more than half
    }

    [Fact]
    public void An_empty_root_deletes_nothing_even_unlimited()
    {
        var guard = new DeleteGuard(DeleteLimit.Unlimited, new FakeClock());
        var full = guard.Check(3, 3, localFiles: 0);
        var events = guard.CheckEvents(1, rootEmpty: true);

        Assert.False(full.Allowed);
        Assert.True(full.EmptyRoot);
        Assert.False(events.Allowed);
        Assert.True(events.EmptyRoot);
    }
}
