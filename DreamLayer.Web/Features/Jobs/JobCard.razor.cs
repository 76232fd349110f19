using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace DreamLayer.Web.Features.Jobs;

/// <summary>
/// One job: status, progress, the newest preview frame and the results. The card follows its own job
/// (<see cref="JobEvents.SubscribeJob"/>): a step or a frame renders this card alone, at most every 100 ms, and only
/// when what it shows changed (a step's progress and its frame in one render); the list around it renders only when its jobs or their places change. The preview
/// is an address (<c>/previews/{jobId}?v={sequence}</c>), never the picture's bytes.
/// </summary>
public sealed partial class JobCard : IDisposable
{
    private static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// A server sends a step's progress and then its preview frame: a render waits this long after the first of them, so
    /// that it shows the frame too instead of leaving it to the next render, an interval later.
    /// </summary>
    private static readonly TimeSpan GatherStep = TimeSpan.FromMilliseconds(10);

    [Inject] private JobEvents Events { get; set; } = default!;

    /// <summary>The job to show (the newest snapshot in memory wins over it).</summary>
    [Parameter, EditorRequired]
    public required JobProgress Job { get; set; }

    /// <summary>How many jobs run before it, when it is waiting.</summary>
    [Parameter]
    public int? QueuePosition { get; set; }

    /// <summary>The newest job: shown large (preview and results sized to the pane), the others compact.</summary>
    [Parameter]
    public bool Current { get; set; }

    /// <summary>How many unfinished jobs of the same batch come after this one: with any, Skip stops only this one and Cancel the rest too.</summary>
    [Parameter]
    public int RestOfBatch { get; set; }

    [Parameter]
    public EventCallback<JobProgress> OnCancel { get; set; }

    [Parameter]
    public EventCallback<JobProgress> OnSkip { get; set; }

    /// <summary>Queues a failed job's request again; without a handler there is no Retry button.</summary>
    [Parameter]
    public EventCallback<JobProgress> OnRetry { get; set; }

    [Parameter]
    public EventCallback<Guid> OnOpenImage { get; set; }

    private JobFollower? _follower;

    /// <summary>How many times this card has rendered itself (not counting its MudBlazor parts): the measure of its cost per event.</summary>
    internal int Renders { get; private set; }
    private Shown _shown;

    /// <summary>Everything a render depends on; equal states render the same markup.</summary>
    private readonly record struct Shown(JobProgress? Job, long? Preview, bool Current, int? QueuePosition, int RestOfBatch, bool CanRetry);

    /// <summary>The job as shown: the newest snapshot.</summary>
    private JobProgress Live => _follower!.Job;

    private Shown State => new(Live, Live.Status == JobStatus.Running ? _follower!.Preview : null, Current, QueuePosition, RestOfBatch, OnRetry.HasDelegate);

    protected override void OnParametersSet()
    {
        _follower ??= new JobFollower(Events, new RenderThrottle(InvokeAsync, Refresh, DispatchExceptionAsync, RenderInterval, GatherStep));
        _follower.Follow(Job);
    }

    protected override bool ShouldRender() => State != _shown;

    private void Refresh()
    {
        _follower?.Refresh();
        StateHasChanged();
    }

    private double Percent => Live.StepMax > 0 ? 100.0 * Live.StepValue / Live.StepMax : 0;

    private string StatusText => JobStatusText.For(Live.Status, Live.Cloud);

    private Color StatusColor => Live.Status switch
    {
        JobStatus.Running => Color.Primary,
        JobStatus.Succeeded => Color.Success,
        JobStatus.Failed => Color.Error,
        JobStatus.Cancelled => Color.Warning,
        _ => Color.Default,
    };

    public void Dispose() => _follower?.Dispose();
}
