using System.Diagnostics;
using DreamLayer.Web.Operations;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace DreamLayer.Web.Tests.Operations;

/// <summary>Memory is given back once after start-up work and after a burst of jobs, never while jobs keep ending.</summary>
public sealed class MemoryTrimTests
{
    [Fact]
    public async Task Start_up_work_is_followed_by_one_trim_and_then_none_while_nothing_happens()
    {
        using var trim = new MemoryTrim(NullLogger<MemoryTrim>.Instance, TimeSpan.FromMilliseconds(200), TimeSpan.FromMinutes(5));
        await trim.StartAsync(default);

        trim.StartUpWorkDone();
        await DreamLayerApp.WaitUntilAsync(() => trim.Trims == 1, "a trim after start-up");
        await Task.Delay(1000);

        Assert.Equal(1, trim.Trims);
        await trim.StopAsync(default);
    }

    [Fact]
    public async Task Jobs_ending_one_after_another_postpone_the_trim_until_they_stop()
    {
        var quiet = TimeSpan.FromSeconds(2);
        using var trim = new MemoryTrim(NullLogger<MemoryTrim>.Instance, TimeSpan.FromMinutes(5), quiet);
        await trim.StartAsync(default);

        var busySince = Stopwatch.GetTimestamp();
        var lastJob = busySince;
        var longestGap = TimeSpan.Zero;
        trim.JobDone();
        while (Stopwatch.GetElapsedTime(busySince) < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(100);
            var gap = Stopwatch.GetElapsedTime(lastJob);
            longestGap = gap > longestGap ? gap : longestGap;
            trim.JobDone();
            lastJob = Stopwatch.GetTimestamp();
        }
        // Jobs never stopped for the quiet time, so there was nothing to trim (unless the test itself stalled that long).
        if (longestGap < quiet)
        {
            Assert.Equal(0, trim.Trims);
        }

        await DreamLayerApp.WaitUntilAsync(() => trim.Trims == 1, "a trim once the jobs stopped");
        await trim.StopAsync(default);
    }
}
