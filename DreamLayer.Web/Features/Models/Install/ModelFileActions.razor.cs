using DreamLayer.Web.Accounts;
using DreamLayer.Web.Models.Install;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace DreamLayer.Web.Features.Models.Install;

/// <summary>
/// Rename, Move (to another kind) and Delete for one model file, each confirmed in a dialog that names the servers
/// affected (every server whose reachable folder holds the file). Disabled, with the reason, when no reachable folder
/// holds it. The checks are repeated by <see cref="ModelFiles"/> on the server.
/// </summary>
public sealed partial class ModelFileActions
{
    private enum Mode
    {
        None,
        Rename,
        Move,
    }

    [Inject] private ModelFiles Files { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    /// <summary>The models subfolder (<see cref="ModelKinds"/>).</summary>
    [Parameter, EditorRequired] public string Kind { get; set; } = string.Empty;

    /// <summary>The file as the servers list it (maybe under a subfolder).</summary>
    [Parameter, EditorRequired] public string FileName { get; set; } = string.Empty;

    /// <summary>Called after a change succeeded.</summary>
    [Parameter] public EventCallback OnChanged { get; set; }

    private string? _unavailable;
    private Mode _mode;
    private string? _newName;
    private string? _newKind;
    private bool _busy;

    protected override void OnParametersSet()
    {
        _unavailable = Files.Unavailable(Kind, FileName);
        _mode = Mode.None;
    }

    private void StartRename()
    {
        _newName = Path.GetFileName(FileName);
        _mode = Mode.Rename;
    }

    private string Servers() =>
        string.Join(", ", Files.Find(Kind, FileName).SelectMany(l => l.Servers));

    private Task RenameAsync() => ConfirmAndRunAsync("Rename model",
        $"Rename {FileName} to {_newName} on {Servers()}? Jobs and presets that name the old file will not find it.", "Rename",
        (actor, ct) => Files.RenameAsync(actor, Kind, FileName, _newName?.Trim() ?? string.Empty, ct));

    private Task MoveAsync() => ConfirmAndRunAsync("Move model",
        $"Move {FileName} from {Kind} to {_newKind} on {Servers()}?", "Move",
        (actor, ct) => Files.MoveAsync(actor, Kind, FileName, _newKind ?? string.Empty, ct));

    private Task DeleteAsync() => ConfirmAndRunAsync("Delete model",
        $"Delete {FileName} from {Kind} on {Servers()}? The file is removed from disk; this cannot be undone.", "Delete",
        (actor, ct) => Files.DeleteAsync(actor, Kind, FileName, ct));

    private async Task ConfirmAndRunAsync(string title, string question, string yes, Func<SignedInUser, CancellationToken, Task<(bool Done, string Message)>> action)
    {
        if (await Dialogs.ShowMessageBoxAsync(title, question, yesText: yes, cancelText: "Cancel") != true)
        {
            return;
        }
        _busy = true;
        try
        {
            var (done, message) = await action(await CurrentUser.GetAsync(), CancellationToken.None);
            Snackbar.Add(message, done ? Severity.Success : Severity.Error);
            if (done)
            {
                _mode = Mode.None;
                await OnChanged.InvokeAsync();
            }
        }
        finally
        {
            _busy = false;
        }
    }
}
