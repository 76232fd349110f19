using System.Text.Json;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Jobs;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace DreamLayer.Web.Features.Txt2Img;

/// <summary>Orchestrates the txt2img form; the job list beside it watches what was submitted.</summary>
public sealed partial class Txt2ImgPage
{
    [Inject] private BackendPool Pool { get; set; } = default!;
    [Inject] private JobQueue Queue { get; set; } = default!;
    [Inject] private IDbContextFactory<DreamLayerDbContext> DbFactory { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;

    private readonly Txt2ImgFormModel _model = new();
    private GenerationLimits? _limits;
    private bool _submitting;
    private IReadOnlyList<FieldError> _submitErrors = [];
    private IDisposable? _backendSubscription;

    protected override async Task OnInitializedAsync()
    {
        var user = await CurrentUser.GetAsync();
        await using (var db = await DbFactory.CreateDbContextAsync())
        {
            // The form opens with the settings of this person's last txt2img job.
            var lastJson = await db.Jobs.AsNoTracking().Where(j => j.Mode == nameof(GenerationMode.Txt2Img) && j.Owner == user.Id)
                .OrderByDescending(j => j.CreatedAt).Select(j => j.RequestJson).FirstOrDefaultAsync();
            if (lastJson is not null && JsonSerializer.Deserialize<GenerationRequest>(lastJson, JobQueue.RequestJson) is { } lastRequest)
            {
                _model.CopyFrom(lastRequest);
            }
        }
        ApplyLimits();
        _backendSubscription = Pool.Subscribe(changed =>
        {
            _ = InvokeAsync(() =>
            {
                ApplyLimits();
                StateHasChanged();
            });
        });
    }

    private IReadOnlyList<string> CheckpointServers(string checkpoint) => Pool.ServersWith(checkpoint, l => l.Checkpoints);

    private void ApplyLimits()
    {
        _limits = Pool.Limits;
        if (_limits is not null)
        {
            _model.FitTo(_limits);
        }
    }

    private async Task SubmitAsync(IReadOnlyList<GenerationRequest> requests)
    {
        _submitting = true;
        _submitErrors = [];
        try
        {
            var user = await CurrentUser.GetAsync();
            var seeds = new List<ulong>();
            foreach (var request in requests)
            {
                switch (await Queue.SubmitAsync(request, user.Id, CancellationToken.None))
                {
                    case SubmitAccepted accepted:
                        seeds.AddRange(accepted.Seeds);
                        break;
                    case SubmitInvalid invalid:
                        _submitErrors = invalid.Errors;
                        Snackbar.Add(seeds.Count > 0 ? $"Queued {seeds.Count} jobs, then stopped at a prompt the server refused." : "Nothing was queued.", Severity.Warning);
                        return;
                }
            }
            Snackbar.Add(seeds.Count == 1 ? $"Queued (seed {seeds[0]})." : $"Queued {seeds.Count} jobs.", Severity.Success);
        }
        finally
        {
            _submitting = false;
        }
    }

    public void Dispose() => _backendSubscription?.Dispose();
}
