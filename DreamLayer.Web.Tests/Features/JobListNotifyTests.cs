using Bunit;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Features.Jobs;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using DreamLayer.Web.Tests.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.JSInterop;

namespace DreamLayer.Web.Tests.Features;

/// <summary>
/// The "Notify me when done" switch while the job list's script is still loading (a cold browser cache, a busy server):
/// the browser is a runtime whose import of that script the test finishes when it chooses.
/// </summary>
public sealed class JobListNotifyTests : MudComponentTest, IClassFixture<LiveAppFixture>
{
    private const string Script = "./Features/Jobs/JobList.razor.js";

    private readonly SlowScriptBrowser _browser;

    /// <summary>Answers every call with nothing (as bUnit's loose mode does), except the list's script, which loads when told.</summary>
    private sealed class SlowScriptBrowser : IJSRuntime
    {
        public TaskCompletionSource<IJSObjectReference> Import { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) =>
            identifier == "import" && args is [Script] ? LoadAsync<TValue>() : ValueTask.FromResult(default(TValue)!);

        private async ValueTask<TValue> LoadAsync<TValue>() => (TValue)await Import.Task;

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) =>
            InvokeAsync<TValue>(identifier, args);
    }

    /// <summary>The list's script as the test sees it: what the component asked of it, in order.</summary>
    private sealed class RecordingScript : IJSObjectReference
    {
        private readonly List<(string Identifier, object?[]? Args)> _calls = [];

        public IReadOnlyList<(string Identifier, object?[]? Args)> Calls
        {
            get
            {
                lock (_calls)
                {
                    return [.. _calls];
                }
            }
        }

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args)
        {
            lock (_calls)
            {
                _calls.Add((identifier, args));
            }
            object? answer = identifier switch
            {
                "setNotifying" => "granted",
                "notifying" => false,
                _ => null,
            };
            return ValueTask.FromResult((TValue)answer!);
        }

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) =>
            InvokeAsync<TValue>(identifier, args);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    public JobListNotifyTests(LiveAppFixture fixture)
        : this(fixture, new SlowScriptBrowser())
    {
    }

    private JobListNotifyTests(LiveAppFixture fixture, SlowScriptBrowser browser)
        : base(services =>
        {
            ArgumentNullException.ThrowIfNull(fixture);
            fixture.AddJobListServices(services);
            services.AddSingleton<IJSRuntime>(browser);
        }) => _browser = browser;

    [Fact]
    public void NotifySwitch_TurnedOnWhileTheListsScriptStillLoads_IsKept()
    {
        var list = Render<JobList>(p => p.Add(l => l.Mode, GenerationMode.Txt2Img).Add(l => l.Title, "Txt2Img"));
        list.Find("input[data-testid=notify-toggle], [data-testid=notify-toggle] input").Change(true);

        var script = new RecordingScript();
        _browser.Import.SetResult(script);

        // The click was not dropped: the browser is asked for permission, and the choice is kept there.
        list.WaitForAssertion(() => Assert.Contains(script.Calls, c => c.Identifier == "setNotifying" && c.Args is [true]));
    }
}
