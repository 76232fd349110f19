using System.Text.Json;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Jobs;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace DreamLayer.Web.Features.Txt2Img;

/// <summary>
/// Orchestrates the txt2img form and the job list. Jobs live in the database and the background
/// pipeline; this page only submits and watches, so closing it stops nothing.
/// </summary>
public sealed partial class Txt2ImgPage
{
    private const int RecentJobs = 20;
    private static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(100);

    [Inject] private BackendPool Pool { get; set; } = default!;
    [Inject] private JobQueue Queue { get; set; } = default!;
    [Inject] private JobEvents Events { get; set; } = default!;
    [Inject] private IDbContextFactory<DreamLayerDbContext> DbFactory { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    private readonly Txt2ImgFormModel _model = new();
    private List<JobProgress> _jobs = [];
    private GenerationLimits? _limits;
    private bool _submitting;
    private IReadOnlyList<FieldError> _submitErrors = [];
    private readonly Dictionary<Guid, (long Sequence, string Url)> _previewUrls = [];
    private IDisposable? _jobSubscription;
    private IDisposable? _backendSubscription;
    private RenderThrottle? _throttle;

    protected override async Task OnInitializedAsync()
    {
        _throttle = new RenderThrottle(InvokeAsync, StateHasChanged, DispatchExceptionAsync, RenderInterval);
        await using (var db = await DbFactory.CreateDbContextAsync())
        {
            var recent = await db.Jobs.AsNoTracking().Include(j => j.Images)
                .OrderByDescending(j => j.CreatedAt).Take(RecentJobs).ToListAsync();
            _jobs = recent.Select(j => Events.TryGet(j.Id, out var live) ? live : j.ToProgress()).ToList();
            if (recent.FirstOrDefault(j => j.Mode == nameof(GenerationMode.Txt2Img)) is { } last
                && JsonSerializer.Deserialize<GenerationRequest>(last.RequestJson, JobQueue.RequestJson) is { } lastRequest)
            {
                _model.CopyFrom(lastRequest);
            }
        }
        ApplyLimits();
        _jobSubscription = Events.Subscribe(OnJobEvent);
        _backendSubscription = Pool.Subscribe(changed =>
        {
            _ = InvokeAsync(() =>
            {
                ApplyLimits();
                StateHasChanged();
            });
        });
    }

    private void ApplyLimits()
    {
        _limits = Pool.Primary.Limits;
        if (_limits is not null)
        {
            _model.FitTo(_limits);
        }
    }

    private void OnJobEvent(JobEvent evt)
    {
        if (evt is JobChanged changed)
        {
            _ = InvokeAsync(() =>
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
            });
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

    private async Task SubmitAsync(GenerationRequest request)
    {
        _submitting = true;
        _submitErrors = [];
        try
        {
            switch (await Queue.SubmitAsync(request, "local", CancellationToken.None))
            {
                case SubmitAccepted accepted:
                    Snackbar.Add(accepted.JobIds.Count == 1 ? $"Queued (seed {accepted.Seeds[0]})." : $"Queued {accepted.JobIds.Count} jobs.", Severity.Success);
                    break;
                case SubmitInvalid invalid:
                    _submitErrors = invalid.Errors;
                    break;
            }
        }
        finally
        {
            _submitting = false;
        }
    }

    private async Task CancelAsync(Guid jobId)
    {
        if (!await Queue.CancelAsync(jobId, CancellationToken.None))
        {
            Snackbar.Add("That job could not be cancelled (it may have just finished).", Severity.Warning);
        }
    }

    private Task<IDialogReference> OpenImageAsync(Guid imageId) =>
        Dialogs.ShowAsync<ImageDialog>("Image", new DialogParameters<ImageDialog> { { d => d.ImageId, imageId } },
            new DialogOptions { MaxWidth = MaxWidth.ExtraLarge, FullWidth = true, CloseButton = true, CloseOnEscapeKey = true });

    public void Dispose()
    {
        _jobSubscription?.Dispose();
        _backendSubscription?.Dispose();
    }
}
