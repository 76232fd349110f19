using System.Globalization;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows.Imported;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Components;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace DreamLayer.Web.Features.Workflows;

/// <summary>
/// Runs a saved workflow: a form made from its visible fields (ranges and lists from the server's live catalogue),
/// and Generate queues a Workflow job that goes through the same dispatcher, progress and saving as txt2img.
/// </summary>
public sealed partial class WorkflowRunPage
{
    [Parameter] public Guid Id { get; set; }

    [Inject] private TeamWorkflows Library { get; set; } = default!;
    [Inject] private BackendPool Pool { get; set; } = default!;
    [Inject] private JobQueue Queue { get; set; } = default!;
    [Inject] private UploadStore Uploads { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private IOptions<StorageOptions> Storage { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private DreamLayer.Web.Models.ModelSettings ModelSettings { get; set; } = default!;
    [Inject] private WorkflowRunChecks RunChecks { get; set; } = default!;

    private SavedWorkflow? _workflow;
    private bool _loaded;
    private List<RunField> _fields = [];
    private CompatibilityReport? _report;
    private bool _hasSeed;
    private bool _builtWithCatalogue;
    private SeedMode _seedMode = SeedMode.Random;
    private string? _seedText;
    private int _batchCount = 1;
    private bool _submitting;
    private List<string> _errors = [];
    private IDisposable? _backendSubscription;
    private IDisposable? _modelsSubscription;
    private bool _isAdmin;

    protected override async Task OnParametersSetAsync()
    {
        _isAdmin = (await CurrentUser.GetAsync()).IsAdmin;
        _workflow = await Library.FindAsync(Id, CancellationToken.None);
        _loaded = true;
        if (_workflow is { } workflow)
        {
            var seed = workflow.Bindings.FirstOrDefault(b => b.Kind == BindingKind.Seed && !b.Hidden);
            _hasSeed = seed is not null;
            _seedText = seed?.Default?.ToJsonString();
            BuildForm(workflow, keepValues: false);
            _backendSubscription ??= Pool.Subscribe(changed =>
            {
                InvokeAsync(() =>
                {
                    if (_workflow is { } current)
                    {
                        BuildForm(current, keepValues: _builtWithCatalogue);
                    }
                    StateHasChanged();
                }).Observe(DispatchExceptionAsync);
            });
            // Display names and families follow the admins' edits; a model hidden meanwhile stays listed until the lists
            // are made again (the queue refuses it), so nothing typed is lost.
            _modelsSubscription ??= ModelSettings.Subscribe(_ => InvokeAsync(StateHasChanged).Observe(DispatchExceptionAsync));
        }
    }

    /// <summary>
    /// The fields take their lists and ranges from the server's catalogue; a form made while no server was connected
    /// is made again when one connects (what the person typed is kept otherwise).
    /// </summary>
    private void BuildForm(SavedWorkflow workflow, bool keepValues)
    {
        // Forms and checks use the first online server's catalogue; the queue then sends the job to a server that has what it needs.
        var primary = Pool.Primary;
        var info = primary?.ObjectInfo ?? ObjectInfo.Empty;
        if (!keepValues)
        {
            _builtWithCatalogue = primary is { IsOnline: true } && info.Nodes.Count > 0;
            _fields = workflow.Bindings.Where(b => !b.Hidden && b.Kind != BindingKind.Seed).Select(b => RunField.Create(b, workflow.Graph, info, Hidden)).ToList();
        }
        _report = primary is { IsOnline: true } ? WorkflowCompatibility.Check(workflow.Graph, info, primary.Name) : null;
        // Fields the person sets are checked when they press Generate; only what no field can fix blocks the button.
        if (_report is { CanRun: false } report && report.Errors.All(e => workflow.Bindings.Any(b => !b.Hidden && e.Contains($"› {b.Input}", StringComparison.Ordinal))))
        {
            _report = report with { Errors = [] };
        }
    }

    private async Task UploadAsync(RunField field, InputFileChangeEventArgs e)
    {
        field.Image = null;
        field.ImageError = null;
        var limit = Storage.Value.MaxImageBytes;
        if (e.File.Size > limit)
        {
            field.ImageError = UploadStore.TooLarge(e.File.Size, limit, exact: true).Message;
            return;
        }
        try
        {
            await using var stream = e.File.OpenReadStream(maxAllowedSize: limit);
            switch (await Uploads.SaveAsync(stream, e.File.Name, CancellationToken.None))
            {
                case UploadAccepted accepted:
                    field.Image = accepted;
                    field.ImageName = e.File.Name;
                    break;
                case UploadRejected rejected:
                    field.ImageError = rejected.Message;
                    break;
            }
        }
        catch (IOException ex)
        {
            field.ImageError = $"The file could not be read: {ex.Message}";
        }
    }

    private async Task GenerateAsync()
    {
        if (_workflow is not { } workflow)
        {
            return;
        }
        _errors = [];
        var values = new List<WorkflowValue>();
        var images = new List<WorkflowImageInput>();
        foreach (var field in _fields)
        {
            var (value, error) = field.ToJson();
            if (error is not null)
            {
                _errors.Add(error);
            }
            else if (field.Image is { } image)
            {
                images.Add(new WorkflowImageInput(field.Binding.Node, field.Binding.Input, image.Id));
            }
            else
            {
                values.Add(new WorkflowValue(field.Binding.Node, field.Binding.Input, value));
            }
        }
        ulong? seed = null;
        if (_hasSeed && _seedMode == SeedMode.Fixed)
        {
            seed = ulong.TryParse(_seedText, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
            if (seed is null)
            {
                _errors.Add("Seed: enter a whole number from 0 to 18446744073709551615.");
            }
        }
        if (_errors.Count > 0)
        {
            return;
        }
        var request = WorkflowRun.CreateRequest(workflow.Ref, values, images, _hasSeed ? _seedMode : SeedMode.Random, seed, _batchCount, Pool.Primary?.ObjectInfo);
        // Checked now so a problem is reported here, not on a job card.
        if (await RunChecks.CheckAsync(request, CancellationToken.None) is { Count: > 0 } problems)
        {
            _errors = [.. problems];
            return;
        }
        await SubmitAsync(request);
    }

    private async Task SubmitAsync(GenerationRequest request)
    {
        _submitting = true;
        try
        {
            var user = await CurrentUser.GetAsync();
            switch (await Queue.SubmitAsync(request, user.Id, CancellationToken.None))
            {
                case SubmitAccepted accepted:
                    Snackbar.Add(accepted.Confirmation, Severity.Success);
                    break;
                case SubmitInvalid invalid:
                    _errors = invalid.Errors.Select(e => e.Message).ToList();
                    break;
            }
        }
        finally
        {
            _submitting = false;
        }
    }

    /// <summary>Members' loader lists leave out the models an admin hid (the queue refuses them anyway).</summary>
    private bool Hidden(string folder, string name) => !_isAdmin && ModelSettings.IsHidden(folder, name);

    public void Dispose()
    {
        _backendSubscription?.Dispose();
        _modelsSubscription?.Dispose();
    }
}
