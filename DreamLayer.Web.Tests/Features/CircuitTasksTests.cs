using System.Text.RegularExpressions;
using DreamLayer.Web.Components.Shared;

namespace DreamLayer.Web.Tests.Features;

/// <summary>Work a page starts from a background event never fails silently: its exception reaches the circuit's error handling.</summary>
public sealed partial class CircuitTasksTests
{
    [Fact]
    public async Task Observe_WorkThatFails_HandsItsExceptionToTheCircuit()
    {
        var dispatched = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var failing = new TaskCompletionSource();

        failing.Task.Observe(ex =>
        {
            dispatched.SetResult(ex);
            return Task.CompletedTask;
        });
        failing.SetException(new InvalidOperationException("the render failed"));

        Assert.Equal("the render failed", (await dispatched.Task).Message);
    }

    [Fact]
    public async Task Observe_WorkThatSucceedsOrMeetsAClosedCircuit_ReportsNothing()
    {
        var reported = 0;
        Task Report(Exception ex)
        {
            Interlocked.Increment(ref reported);
            return Task.CompletedTask;
        }
        var succeeded = Task.CompletedTask;
        var closed = Task.FromException(new ObjectDisposedException("circuit"));

        succeeded.Observe(Report);
        closed.Observe(Report);
        await Task.WhenAll(succeeded, closed.ContinueWith(_ => { }, TaskScheduler.Default));

        Assert.Equal(0, Volatile.Read(ref reported));
    }

    /// <summary>The class of bug, closed: no page starts renderer work and drops what becomes of it.</summary>
    [Fact]
    public void Pages_InvokeAsyncFromBackgroundEvents_IsNeverFireAndForget()
    {
        var app = Path.Combine(TestPaths.RepoRoot, "DreamLayer.Web");
        var dropped = Directory.EnumerateFiles(app, "*.*", SearchOption.AllDirectories)
            .Where(f => (f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".razor", StringComparison.Ordinal))
                        && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(app, f), Line: i + 1, Text: line)))
            .Where(l => DroppedInvoke().IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();

        Assert.True(dropped.Count == 0, "Use InvokeAsync(...).Observe(DispatchExceptionAsync) instead of dropping the task:\n" + string.Join("\n", dropped));
    }

    [GeneratedRegex(@"_\s*=\s*InvokeAsync\s*\(")]
    private static partial Regex DroppedInvoke();
}
