using System.Text;
using Microsoft.Extensions.Logging;
using S3Sync.Cli;

namespace S3Sync.Tests.Unit;

/// <summary>The buffered text log: the console logger's line format, warnings at once, the rest within the flush
/// interval (a timer on the provider's clock, fired by hand here), everything on dispose.</summary>
public sealed class StderrLoggerProviderTests
{
    /// <summary>A clock at a fixed local time whose timers fire only when the test says.</summary>
    private sealed class ManualTimers : TimeProvider
    {
        private readonly List<(TimerCallback Callback, object? State)> _timers = [];

        /// <summary>How often a timer was armed (a finite due time).</summary>
        public int Armed { get; private set; }

        public override DateTimeOffset GetUtcNow() => new(2026, 12, 6, 12, 34, 56, TimeSpan.Zero);

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _timers.Add((callback, state));
            if (dueTime != Timeout.InfiniteTimeSpan) Armed++;
            return new NoTimer(this);
        }

        public void Fire()
        {
            foreach (var (callback, state) in _timers) callback(state);
        }

        private sealed class NoTimer(ManualTimers owner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                if (dueTime != Timeout.InfiniteTimeSpan) owner.Armed++;
                return true;
            }

            public void Dispose() { }
            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private static string Text(MemoryStream stream) => Encoding.UTF8.GetString(stream.ToArray());

    [Fact]
    public void Info_lines_wait_for_the_flush_interval_and_keep_the_console_loggers_format()
    {
        var stream = new MemoryStream();
        var clock = new ManualTimers();
        using var provider = new StderrLoggerProvider(stream, clock);
        var logger = provider.CreateLogger("s3sync");

        logger.LogInformation("upload: {Key}", "a/b.txt");
        logger.LogDebug("two\nlines");

        Assert.Equal("", Text(stream));
        clock.Fire();
        Assert.Equal("12:34:56 info: s3sync[0] upload: a/b.txt\n12:34:56 dbug: s3sync[0] two lines\n", Text(stream));
    }

    [Fact]
    public void The_flush_timer_is_armed_by_a_line_once_and_never_while_idle()
    {
        var stream = new MemoryStream();
        var clock = new ManualTimers();
        using var provider = new StderrLoggerProvider(stream, clock);
        var logger = provider.CreateLogger("s3sync");
        Assert.Equal(0, clock.Armed);

        logger.LogInformation("one");
        logger.LogInformation("two");
        Assert.Equal(1, clock.Armed);

        clock.Fire();
        Assert.Equal(1, clock.Armed);
        logger.LogInformation("three");
        Assert.Equal(2, clock.Armed);
    }

    [Theory]
    [InlineData(LogLevel.Warning, "warn")]
    [InlineData(LogLevel.Error, "fail")]
    [InlineData(LogLevel.Critical, "crit")]
    public void A_warning_or_worse_goes_out_at_once_with_the_lines_before_it(LogLevel level, string shown)
    {
        var stream = new MemoryStream();
        using var provider = new StderrLoggerProvider(stream, new ManualTimers());
        var logger = provider.CreateLogger("s3sync");

        logger.LogInformation("first");
        logger.Log(level, new EventId(7), "second");

        Assert.Equal($"12:34:56 info: s3sync[0] first\n12:34:56 {shown}: s3sync[7] second\n", Text(stream));
    }

    [Fact]
    public void Dispose_writes_what_is_left_and_later_lines_are_dropped()
    {
        var stream = new MemoryStream();
        var provider = new StderrLoggerProvider(stream, new ManualTimers());
        var logger = provider.CreateLogger("s3sync");
        logger.LogInformation("last line");

        provider.Dispose();
        logger.LogWarning("after the end");

        Assert.Equal("12:34:56 info: s3sync[0] last line\n", Text(stream));
    }
}
