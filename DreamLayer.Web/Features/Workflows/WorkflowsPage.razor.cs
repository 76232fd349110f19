using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Workflows.Imported;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace DreamLayer.Web.Features.Workflows;

/// <summary>Imports workflows (JSON or a ComfyUI PNG), edits their fields, and lists the team's library.</summary>
public sealed partial class WorkflowsPage
{
    /// <summary>The largest workflow file read (ComfyUI PNGs with big graphs stay far below this).</summary>
    public const long MaxFileBytes = 32 * 1024 * 1024;

    [Inject] private TeamWorkflows Library { get; set; } = default!;
    [Inject] private BackendPool Pool { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    private IReadOnlyList<SavedWorkflow> _library = [];
    private SignedInUser? _actor;
    private WorkflowDraft? _draft;
    private CompatibilityReport? _report;
    private string? _importError;
    private string? _saveError;
    private bool _saving;

    protected override async Task OnInitializedAsync()
    {
        _actor = await CurrentUser.GetAsync();
        _library = await Library.ListAsync(CancellationToken.None);
    }

    private async Task ImportAsync(InputFileChangeEventArgs e)
    {
        _importError = null;
        CloseEditor();
        var file = e.File;
        if (file.Size > MaxFileBytes)
        {
            _importError = $"The file is {file.Size / 1024 / 1024} MiB; a workflow file may be at most {MaxFileBytes / 1024 / 1024} MiB.";
            return;
        }
        try
        {
            using var buffer = new MemoryStream();
            await using (var stream = file.OpenReadStream(MaxFileBytes))
            {
                await stream.CopyToAsync(buffer);
            }
            var imported = WorkflowImporter.Import(buffer.ToArray());
            OpenEditor(WorkflowDraft.FromImport(imported, Path.GetFileNameWithoutExtension(file.Name)));
            if (imported.Problems.Count > 0)
            {
                _importError = string.Join(" ", imported.Problems);
            }
        }
        catch (ComfyGraphFormatException ex)
        {
            _importError = ex.Message;
        }
        catch (IOException ex)
        {
            _importError = $"The file could not be read: {ex.Message}";
        }
    }

    private void Edit(SavedWorkflow workflow) => OpenEditor(WorkflowDraft.FromSaved(workflow));

    private void OpenEditor(WorkflowDraft draft)
    {
        _draft = draft;
        _saveError = null;
        _report = Pool.Primary is { IsOnline: true } primary ? WorkflowCompatibility.Check(draft.Graph, primary.ObjectInfo, primary.Name) : null;
    }

    private void CloseEditor()
    {
        _draft = null;
        _report = null;
        _saveError = null;
    }

    private async Task SaveAsync()
    {
        if (_draft is not { } draft)
        {
            return;
        }
        var (bindings, error) = draft.ToBindings();
        if (error is not null)
        {
            _saveError = error;
            return;
        }
        _saving = true;
        try
        {
            var actor = await CurrentUser.GetAsync();
            var result = draft.Id is { } id
                ? await Library.UpdateAsync(actor, id, draft.Name, draft.Description, bindings, CancellationToken.None)
                : await Library.CreateAsync(actor, draft.Name, draft.Description, draft.Graph, bindings, CancellationToken.None);
            switch (result)
            {
                case WorkflowSaved:
                    Snackbar.Add($"Saved '{draft.Name.Trim()}' to the library.", Severity.Success);
                    CloseEditor();
                    _library = await Library.ListAsync(CancellationToken.None);
                    break;
                case WorkflowRefused refused:
                    _saveError = refused.Message;
                    break;
            }
        }
        finally
        {
            _saving = false;
        }
    }

    private async Task DeleteAsync(SavedWorkflow workflow)
    {
        if (await Dialogs.ShowMessageBoxAsync("Delete workflow", $"Delete '{workflow.Name}' from the team's library?", yesText: "Delete", cancelText: "Keep") != true)
        {
            return;
        }
        if (await Library.DeleteAsync(await CurrentUser.GetAsync(), workflow.Id, CancellationToken.None) is WorkflowRefused refused)
        {
            Snackbar.Add(refused.Message, Severity.Error);
        }
        if (_draft?.Id == workflow.Id)
        {
            CloseEditor();
        }
        _library = await Library.ListAsync(CancellationToken.None);
    }
}
