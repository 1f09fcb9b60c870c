using S3Sync.Remote;

namespace S3Sync.Tests.Unit;

/// <summary>The limit on requests in flight: slow start, one halving per window on throttling, additive increase after,
/// growth only while the limit binds, the floor and the ceiling, waiters in order.</summary>
public sealed class AdaptiveConcurrencyTests
{
    /// <summary>Fills every slot, then answers each with <paramref name="outcome"/>: one "round trip".</summary>
    private static async Task RoundAsync(AdaptiveConcurrency limit, RequestOutcome outcome)
    {
        var leases = new List<AdaptiveConcurrency.Lease>();
        for (var i = limit.Limit; i > 0; i--) leases.Add(await limit.AcquireAsync(CancellationToken.None));
        foreach (var lease in leases) lease.Release(outcome);
    }

    [Fact]
    public async Task Slow_start_doubles_the_limit_each_full_round_trip_up_to_the_ceiling()
    {
        var limit = new AdaptiveConcurrency(initial: 4, ceiling: 40);
        var seen = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            await RoundAsync(limit, RequestOutcome.Answered);
            seen.Add(limit.Limit);
        }
        Assert.Equal([8, 16, 32, 40, 40], seen);
    }

    [Fact]
    public async Task Throttling_halves_the_limit_once_per_window_then_it_grows_by_one_a_round_trip()
    {
        var limit = new AdaptiveConcurrency(initial: 32, ceiling: 256);
        // Every request of a full window throttled: one halving, not 32.
        await RoundAsync(limit, RequestOutcome.Throttled);
        Assert.Equal(16, limit.Limit);
        Assert.Equal(1, limit.Decreases);
        Assert.Equal(32, limit.Throttles);
        // After congestion: additive increase, about one a round trip.
        await RoundAsync(limit, RequestOutcome.Answered);
        Assert.Equal(17, limit.Limit);
        await RoundAsync(limit, RequestOutcome.Answered);
        Assert.Equal(18, limit.Limit);
        // A throttle in the next window halves again.
        await RoundAsync(limit, RequestOutcome.Throttled);
        Assert.Equal(9, limit.Limit);
    }

    [Fact]
    public async Task The_limit_never_falls_below_the_floor_and_a_fixed_level_climbs_back_to_itself()
    {
        var limit = AdaptiveConcurrency.Fixed(8);
        Assert.Equal(8, limit.Limit);
        for (var i = 0; i < 5; i++) await RoundAsync(limit, RequestOutcome.Throttled);
        Assert.Equal(2, limit.Limit);
        for (var i = 0; i < 40; i++) await RoundAsync(limit, RequestOutcome.Answered);
        Assert.Equal(8, limit.Limit);
    }

    [Fact]
    public async Task A_limit_that_does_not_bind_does_not_grow()
    {
        var limit = new AdaptiveConcurrency(initial: 16, ceiling: 256);
        // One request at a time, 100 times: the limit was never the bound.
        for (var i = 0; i < 100; i++) (await limit.AcquireAsync(CancellationToken.None)).Release(RequestOutcome.Answered);
        Assert.Equal(16, limit.Limit);
        // Unknown outcomes (cancelled, local errors) say nothing either way.
        await RoundAsync(limit, RequestOutcome.Unknown);
        Assert.Equal(16, limit.Limit);
    }

    [Fact]
    public async Task Waiters_get_slots_in_order_and_a_cancelled_waiter_takes_none()
    {
        var limit = new AdaptiveConcurrency(initial: 2, ceiling: 2);
        var a = await limit.AcquireAsync(CancellationToken.None);
        var b = await limit.AcquireAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = limit.AcquireAsync(cancel.Token).AsTask();
        var first = limit.AcquireAsync(CancellationToken.None).AsTask();
        var second = limit.AcquireAsync(CancellationToken.None).AsTask();
        Assert.False(first.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        a.Release(RequestOutcome.Answered);
        // The slot went to the first live waiter, not the cancelled one, and not to the second.
        var firstLease = await first;
        Assert.False(second.IsCompleted);
        Assert.Equal(2, limit.InFlight);
        firstLease.Release(RequestOutcome.Answered);
        b.Release(RequestOutcome.Answered);
        (await second).Release(RequestOutcome.Answered);
        Assert.Equal(0, limit.InFlight);
    }
}
