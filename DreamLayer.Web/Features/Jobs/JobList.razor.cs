using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;

namespace DreamLayer.Web.Features.Jobs;

/// <summary>
/// The live list of one mode's recent jobs of the signed-in person: loads them through <see cref="JobHistory"/>, follows the person's
/// jobs of this mode (<see cref="JobEvents.SubscribeOwner"/>) and the queue's changes of places, and cancels or opens
/// results. The list renders only when its jobs, their order, statuses or places change; a step or a preview frame
/// renders the job's own <see cref="JobCard"/> and the tab's title, nothing else. Jobs live in the background
/// pipeline; this list only watches, so closing the page stops nothing. The newest job is the current one, shown
/// large; the tab's title shows its progress, and a job that finishes while the tab is hidden can say so with a
/// notification and a sound (a switch, remembered by the browser).
/// </summary>
public sealed partial class JobList : IAsyncDisposable
{
    private const int RecentJobs = 20;
    private static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(100);

    [Inject] private JobQueue Queue { get; set; } = default!;
    [Inject] private JobEvents Events { get; set; } = default!;
    [Inject] private JobHistory History { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private GenerationSubmitter Submitter { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;

    /// <summary>The mode whose jobs are listed.</summary>
    [Parameter, EditorRequired]
    public required GenerationMode Mode { get; set; }

    /// <summary>What the list says while there is no job yet.</summary>
    [Parameter]
    public string EmptyText { get; set; } = "Nothing yet.";

    /// <summary>How many times the list itself has rendered (its cards render on their own): the measure of its cost per event.</summary>
    internal int Renders { get; private set; }

    private List<JobProgress> _jobs = [];
    private IDisposable? _subscription;
    private IDisposable? _queueSubscription;
    private RenderThrottle? _throttle;
    private RenderThrottle? _titleThrottle;
    private LiveTitle? _title;
    private ElementReference _cards;
    private volatile bool _hasWaiting;
    private SignedInUser? _user;
    private IJSObjectReference? _module;
    private Task<IJSObjectReference>? _moduleLoading;
    private bool _notify;
    private string? _notifyNote;

    /// <summary>The page's name in the tab's title (<c>Txt2Img</c>); the list then owns the title and prefixes the current job's progress. Null leaves the title alone.</summary>
    [Parameter]
    public string? Title { get; set; }

    /// <summary>
    /// <c>[3/20] Txt2Img · DreamLayer</c> while the newest running job samples, <c>[running]</c> before its first step,
    /// <c>[waiting]</c> while the newest unfinished job waits; otherwise just the page's name.
    /// </summary>
    private string TabTitle
    {
        get
        {
            var name = $"{Title} · DreamLayer";
            return (_jobs.FirstOrDefault(j => j.Status == JobStatus.Running) ?? _jobs.FirstOrDefault(j => !j.Status.IsTerminal())) switch
            {
                { Status: JobStatus.Running, StepMax: > 0 } running => $"[{running.StepValue}/{running.StepMax}] {name}",
                { Status: JobStatus.Running } => $"[running] {name}",
                { } => $"[waiting] {name}",
                null => name,
            };
        }
    }

    protected override async Task OnInitializedAsync()
    {
        _throttle = new RenderThrottle(InvokeAsync, StateHasChanged, DispatchExceptionAsync, RenderInterval);
        _titleThrottle = new RenderThrottle(InvokeAsync, () => _title?.Show(TabTitle), DispatchExceptionAsync, RenderInterval);
        var user = _user = await CurrentUser.GetAsync();
        _jobs = await History.RecentAsync(user.Id, Mode, RecentJobs, CancellationToken.None);
        NoteWaiting();
        _subscription = Events.SubscribeOwner(user.Id, Mode, OnJobChanged);
        // Another person's job starting or ending moves this person's waiting jobs up the line.
        _queueSubscription = Events.SubscribeQueue(_ =>
        {
            if (_hasWaiting)
            {
                _throttle?.Request();
            }
        });
    }

    private void NoteWaiting() => _hasWaiting = _jobs.Exists(j => j.Status is JobStatus.Queued or JobStatus.Submitted);

    private void OnJobChanged(JobChanged changed) =>
        InvokeAsync(() =>
        {
            var index = _jobs.FindIndex(j => j.JobId == changed.Job.JobId);
            if (index < 0)
            {
                _jobs.Insert(0, changed.Job);
                _jobs = _jobs.OrderByDescending(j => j.CreatedAt).Take(RecentJobs * 2).ToList();
                _throttle?.Request();
            }
            else
            {
                var before = _jobs[index];
                _jobs[index] = changed.Job;
                if (!before.Status.IsTerminal() && changed.Job.Status.IsTerminal())
                {
                    _ = NotifyFinishedAsync(changed.Job);
                }
                if (before.Status != changed.Job.Status)
                {
                    _throttle?.Request(); // the current job, the rest of a batch, the places: the list's business
                }
                else
                {
                    _titleThrottle?.Request(); // a step: the card renders itself; only the title follows
                }
            }
            NoteWaiting();
        }).Observe(DispatchExceptionAsync);

    /// <summary>Unfinished jobs of the same batch listed after this one (made later in the batch).</summary>
    private int RestOfBatch(JobProgress job) =>
        _jobs.Count(j => j.BatchId == job.BatchId && j.JobId != job.JobId && !j.Status.IsTerminal() && j.CreatedAt >= job.CreatedAt);

    /// <summary>Cancel: this job and, in a batch, every unfinished job of it.</summary>
    private async Task CancelAsync(JobProgress job)
    {
        if (RestOfBatch(job) == 0)
        {
            await CancelOneAsync(job.JobId);
            return;
        }
        var user = _user ?? await CurrentUser.GetAsync();
        await CancelOneAsync(job.JobId);
        await Queue.CancelBatchAsync(job.BatchId, user.Id, user.IsAdmin, CancellationToken.None);
    }

    /// <summary>Skip: stops this image only; the rest of its batch goes on (A1111's Skip).</summary>
    private Task SkipAsync(JobProgress job) => CancelOneAsync(job.JobId);

    /// <summary>Retry: the failed job's own request (its seed fixed) as a new job of one run; the queue checks it again.</summary>
    private async Task RetryAsync(JobProgress job)
    {
        var user = _user ?? await CurrentUser.GetAsync();
        GenerationRequest request;
        switch (await History.RetryRequestAsync(job.JobId, user.Id, CancellationToken.None))
        {
            case StoredRequestRead read:
                request = read.Request;
                break;
            case StoredRequestUnreadable unreadable:
                Snackbar.Add($"Not retried: {unreadable.Reason}", Severity.Error);
                return;
            default:
                Snackbar.Add("That job is no longer stored; it cannot be retried.", Severity.Warning);
                return;
        }
        var errors = await Submitter.SubmitAsync([request]);
        if (errors.Count > 0)
        {
            Snackbar.Add($"Not retried: {string.Join(" ", errors.Select(e => e.Message).Distinct())}", Severity.Error);
        }
    }

    private async Task CancelOneAsync(Guid jobId)
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

    /// <summary>Opens an image; the dialog's previous/next walk through every image listed here, newest job first.</summary>
    private Task<IDialogReference> OpenImageAsync(Guid imageId) => ImageDialog.ShowAsync(Dialogs, imageId, [.. _jobs.SelectMany(j => j.ImageIds)]);

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            // Started before the first await, so that a click on the switch made while the script is still loading
            // (a cold browser cache, a busy server) waits for it instead of being dropped.
            _moduleLoading = JS.InvokeAsync<IJSObjectReference>("import", "./Features/Jobs/JobList.razor.js").AsTask();
            _module = await _moduleLoading;
            await _module.InvokeVoidAsync("watchPreviews", _cards);
            if (await _module.InvokeAsync<bool>("notifying"))
            {
                _notify = true;
                StateHasChanged();
            }
        }
    }

    /// <summary>Switching on asks the browser for permission (it must come from this click); the choice is kept in the browser.</summary>
    private async Task SetNotifyAsync(bool on)
    {
        var module = _module ?? (_moduleLoading is { } loading ? await loading : null);
        if (module is null)
        {
            return;
        }
        var permission = await module.InvokeAsync<string>("setNotifying", on);
        _notify = on && permission != "denied";
        _notifyNote = on && permission == "denied"
            ? "The browser blocks notifications for this site; allow them in its site settings to be told when a job finishes."
            : on && permission != "granted" ? "Notifications are not allowed; you will hear a sound only." : null;
    }

    /// <summary>Tells the person a job of theirs finished, if they asked to be told and the tab is hidden (the browser decides both).</summary>
    private async Task NotifyFinishedAsync(JobProgress job)
    {
        if (!_notify || _module is null)
        {
            return;
        }
        var outcome = job.Status switch
        {
            JobStatus.Succeeded => job.ImageIds.Count == 1 ? "Done: 1 image" : $"Done: {job.ImageIds.Count} images",
            JobStatus.Failed => "Failed",
            _ => "Cancelled",
        };
        var text = job.Summary ?? job.Prompt;
        try
        {
            await _module.InvokeVoidAsync("jobFinished", $"{outcome} · DreamLayer", text.Length > 120 ? text[..120] + "…" : text,
                job.ImageIds.Count > 0 ? $"/images/{job.ImageIds[0]}/thumb" : null);
        }
        catch (JSDisconnectedException)
        {
            // The tab is gone; nobody to tell.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
        _queueSubscription?.Dispose();
        if (_module is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("stopPreviews", _cards);
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The circuit is gone; so is the module.
            }
        }
    }
}
