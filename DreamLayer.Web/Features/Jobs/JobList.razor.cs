using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Components;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Data;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace DreamLayer.Web.Features.Jobs;

/// <summary>
/// The live list of one mode's recent jobs of the signed-in person: loads them from the database, follows <see cref="JobEvents"/>
/// with throttled renders and latest-wins previews, and cancels or opens results. Jobs live in the background
/// pipeline; this list only watches, so closing the page stops nothing.
/// </summary>
public sealed partial class JobList : IDisposable
{
    private const int RecentJobs = 20;
    private static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(100);

    [Inject] private JobQueue Queue { get; set; } = default!;
    [Inject] private JobEvents Events { get; set; } = default!;
    [Inject] private IDbContextFactory<DreamLayerDbContext> DbFactory { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;

    /// <summary>The mode whose jobs are listed.</summary>
    [Parameter, EditorRequired]
    public required GenerationMode Mode { get; set; }

    /// <summary>What the list says while there is no job yet.</summary>
    [Parameter]
    public string EmptyText { get; set; } = "Nothing yet.";

    private List<JobProgress> _jobs = [];
    private readonly Dictionary<Guid, (long Sequence, string Url)> _previewUrls = [];
    private IDisposable? _subscription;
    private RenderThrottle? _throttle;
    private SignedInUser? _user;

    protected override async Task OnInitializedAsync()
    {
        _throttle = new RenderThrottle(InvokeAsync, StateHasChanged, DispatchExceptionAsync, RenderInterval);
        var user = _user = await CurrentUser.GetAsync();
        await using (var db = await DbFactory.CreateDbContextAsync())
        {
            var mode = Mode.ToString();
            var recent = await db.Jobs.AsNoTracking().Include(j => j.Images).Where(j => j.Mode == mode && j.Owner == user.Id)
                .OrderByDescending(j => j.CreatedAt).Take(RecentJobs).ToListAsync();
            _jobs = recent.Select(j => Events.TryGet(j.Id, out var live) ? live : j.ToProgress()).ToList();
        }
        _subscription = Events.Subscribe(OnJobEvent);
    }

    private void OnJobEvent(JobEvent evt)
    {
        if (evt is JobChanged changed && changed.Job.Mode == Mode && changed.Job.Owner == _user?.Id)
        {
            InvokeAsync(() =>
            {
                var index = _jobs.FindIndex(j => j.JobId == changed.Job.JobId);
                if (index >= 0)
                {
                    _jobs[index] = changed.Job;
                }
                else
                {
                    _jobs.Insert(0, changed.Job);
                    _jobs = _jobs.OrderByDescending(j => j.CreatedAt).Take(RecentJobs * 2).ToList();
                }
                _throttle?.Request();
            }).Observe(DispatchExceptionAsync);
        }
        else if (evt is PreviewAvailable)
        {
            _throttle?.Request();
        }
    }

    private string? PreviewFor(JobProgress job)
    {
        if (!Events.TryGetPreview(job.JobId, out var frame))
        {
            _previewUrls.Remove(job.JobId);
            return null;
        }
        if (_previewUrls.TryGetValue(job.JobId, out var cached) && cached.Sequence == frame.Sequence)
        {
            return cached.Url;
        }
        var url = $"data:{frame.MediaType};base64,{Convert.ToBase64String(frame.Image.Span)}";
        _previewUrls[job.JobId] = (frame.Sequence, url);
        return url;
    }

    private async Task CancelAsync(Guid jobId)
    {
        // Only the owner (or an admin) stops a job; the queue checks it.
        var user = _user ?? await CurrentUser.GetAsync();
        switch (await Queue.CancelAsync(jobId, user.Id, user.IsAdmin, CancellationToken.None))
        {
            case CancelOutcome.Forbidden:
                Snackbar.Add("That is someone else's job; only its owner or an admin can cancel it.", Severity.Warning);
                break;
            case CancelOutcome.NotFound or CancelOutcome.Failed:
                Snackbar.Add("That job could not be cancelled (it may have just finished).", Severity.Warning);
                break;
        }
    }

    private Task<IDialogReference> OpenImageAsync(Guid imageId) => ImageDialog.ShowAsync(Dialogs, imageId);

    public void Dispose() => _subscription?.Dispose();
}
