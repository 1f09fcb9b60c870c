using S3Sync.Execution;

namespace S3Sync.Tests.Unit;

public sealed class ByteBudgetTests
{
    [Fact]
    public async Task Requests_within_the_budget_are_granted_at_once_and_the_rest_wait_in_order()
    {
        var budget = new ByteBudget(100);
        using var a = await budget.AcquireAsync(60, default);
        var b = budget.AcquireAsync(50, default).AsTask();   // does not fit: waits
        var c = budget.AcquireAsync(10, default).AsTask();   // would fit, but b is first
        Assert.False(b.IsCompleted);
        Assert.False(c.IsCompleted);

        a.Dispose();

        using var bLease = await b;
        using var cLease = await c;
        Assert.Equal(40, budget.Available);
    }

    [Fact]
    public async Task A_request_larger_than_the_budget_waits_for_all_of_it_and_takes_all()
    {
        var budget = new ByteBudget(100);
        var small = await budget.AcquireAsync(1, default);
        var huge = budget.AcquireAsync(500, default).AsTask();
        Assert.False(huge.IsCompleted);

        small.Dispose();

        using var lease = await huge;
        Assert.Equal((100L, 0L), (lease.Bytes, budget.Available));
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue_and_lets_the_next_one_in()
    {
        var budget = new ByteBudget(100);
        using var a = await budget.AcquireAsync(90, default);
        using var cts = new CancellationTokenSource();
        var big = budget.AcquireAsync(50, cts.Token).AsTask();
        var small = budget.AcquireAsync(10, default).AsTask();
        Assert.False(small.IsCompleted);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => big);
        using var s = await small;
        Assert.Equal(0, budget.Available);
    }

    [Fact]
    public async Task A_lease_gives_its_bytes_back_once()
    {
        var budget = new ByteBudget(100);
        var lease = await budget.AcquireAsync(30, default);
        lease.Dispose();
        lease.Dispose();
        Assert.Equal(100, budget.Available);
    }
}
