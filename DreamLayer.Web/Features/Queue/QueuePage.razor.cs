using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Jobs;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace DreamLayer.Web.Features.Queue;

/// <summary>
/// Every waiting and running job, live, in the order they will be served, with the servers' health. People cancel
/// their own jobs (one or a whole batch); admins cancel any and pause or resume dispatch. The queue checks who asks.
/// The page reads the table again only when a job comes, goes or changes status (<see cref="JobEvents.SubscribeQueue"/>)
/// or a server changes; a step renders that job's <see cref="QueueRow"/> alone, so its cost does not grow with the rows.
/// </summary>
public sealed partial class QueuePage : IDisposable
{
    private static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(150);

    [Inject] private JobQueue Queue { get; set; } = default!;
    [Inject] private JobEvents Events { get; set; } = default!;
    [Inject] private JobTracker Tracker { get; set; } = default!;
    [Inject] private BackendPool Pool { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private DisplayNames DisplayNames { get; set; } = default!;

    private sealed record Row(JobProgress Job, int? Position, int BatchSize);

    private List<Row> _rows = [];
    private string _user = string.Empty;
    private bool _isAdmin;
    private Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private IDisposable? _jobSubscription;
    private IDisposable? _poolSubscription;
    private RenderThrottle? _throttle;

    protected override async Task OnInitializedAsync()
    {
        var user = await CurrentUser.GetAsync();
        (_user, _isAdmin) = (user.Id, user.IsAdmin);
        _names = await DisplayNames.AllAsync(CancellationToken.None);
        _throttle = new RenderThrottle(InvokeAsync, Refresh, DispatchExceptionAsync, RenderInterval);
        Load();
        _jobSubscription = Events.SubscribeQueue(_ => _throttle.Request());
        _poolSubscription = Pool.Subscribe(_ => _throttle.Request());
    }

    private void Refresh()
    {
        Load();
        StateHasChanged();
    }

    private void Load()
    {
        var active = Events.Active();
        var positions = Queue.WaitingOrder();
        var batchSizes = active.GroupBy(j => j.BatchId).ToDictionary(g => g.Key, g => g.Count());
        _rows = active
            .Select(j => new Row(j, j.Status == JobStatus.Queued && positions.TryGetValue(j.JobId, out var p) ? p : null, batchSizes[j.BatchId]))
            .OrderBy(r => r.Job.Status switch { JobStatus.Running => 0, JobStatus.Submitted => 1, _ => 2 })
            .ThenBy(r => r.Position ?? int.MaxValue)
            .ThenBy(r => r.Job.CreatedAt)
            .ToList();
    }

    private bool CanManage(JobProgress job) => _isAdmin || job.Owner == _user;

    /// <summary>An owner's shown name; an unknown owner shows as its id.</summary>
    private string NameOf(string owner) => _names.GetValueOrDefault(owner, owner);

    private static Color HealthColor(ComfyBackend server, int inFlight) => BackendHealth.Label(server, inFlight) switch
    {
        "online" => Color.Success,
        "busy" => Color.Info,
        "offline" => Color.Error,
        _ => Color.Default,
    };

    private async Task CancelAsync(Guid jobId)
    {
        var outcome = await Queue.CancelAsync(jobId, _user, _isAdmin, CancellationToken.None);
        if (outcome == CancelOutcome.Forbidden)
        {
            Snackbar.Add("Only the job's owner or an admin can cancel it.", Severity.Warning);
        }
        else if (outcome != CancelOutcome.Cancelled)
        {
            Snackbar.Add("That job could not be cancelled (it may have just finished).", Severity.Warning);
        }
    }

    private async Task CancelBatchAsync(Guid batchId)
    {
        var cancelled = await Queue.CancelBatchAsync(batchId, _user, _isAdmin, CancellationToken.None);
        Snackbar.Add($"Cancelled {Words.Count(cancelled, "job")}.", Severity.Info);
    }

    private void SetPaused(bool paused)
    {
        if (!_isAdmin)
        {
            Snackbar.Add("Only an admin can pause or resume dispatch.", Severity.Warning);
            return;
        }
        Queue.SetDispatchPaused(paused);
    }

    public void Dispose()
    {
        _jobSubscription?.Dispose();
        _poolSubscription?.Dispose();
    }
}
