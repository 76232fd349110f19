using DreamLayer.Web.Images;

namespace DreamLayer.Web.Tests.Images;

/// <summary>Decodes share one memory budget: first come first served, never past it, and memory is given back when the last ends.</summary>
public sealed class DecodeBudgetTests
{
    [Fact]
    public async Task A_request_that_does_not_fit_waits_and_a_smaller_one_behind_it_does_not_overtake()
    {
        var budget = new DecodeBudget(100);
        var held = await budget.AcquireAsync(70, default);

        var large = budget.AcquireAsync(60, default);
        var small = budget.AcquireAsync(10, default);

        Assert.False(large.IsCompleted);
        Assert.False(small.IsCompleted);
        held.Dispose();
        using (await large)
        using (await small)
        {
            Assert.Equal(70, budget.InUse);
        }
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public async Task A_request_larger_than_the_whole_budget_runs_alone()
    {
        var budget = new DecodeBudget(100);

        using var alone = await budget.AcquireAsync(5000, default);
        var next = budget.AcquireAsync(1, default);

        Assert.Equal(100, budget.InUse);
        Assert.False(next.IsCompleted);
        alone.Dispose();
        (await next).Dispose();
    }

    [Fact]
    public async Task A_cancelled_wait_leaves_the_queue_and_lets_the_next_one_in()
    {
        var budget = new DecodeBudget(100);
        var held = await budget.AcquireAsync(50, default);
        using var cancel = new CancellationTokenSource();
        var cancelled = budget.AcquireAsync(80, cancel.Token);
        var behind = budget.AcquireAsync(40, default);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        using (await behind)
        {
            Assert.Equal(90, budget.InUse);
            Assert.Equal(0, budget.Waiting);
        }
        held.Dispose();
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public async Task The_idle_hook_runs_once_the_last_decode_gives_its_memory_back()
    {
        var idle = 0;
        var budget = new DecodeBudget(100, () => idle++);
        var a = await budget.AcquireAsync(30, default);
        var b = await budget.AcquireAsync(30, default);

        a.Dispose();
        Assert.Equal(0, idle);
        b.Dispose();
        b.Dispose();

        Assert.Equal(1, idle);
    }
}
