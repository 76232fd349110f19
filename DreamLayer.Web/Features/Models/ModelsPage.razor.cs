using System.Globalization;
using DreamLayer.Domain.Models;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Models;
using DreamLayer.Web.Models.Install;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace DreamLayer.Web.Features.Models;

/// <summary>
/// Admins see every model of every online server by kind, with the servers that have or lack it, its size, hash,
/// family and use; search, filter and sort them; edit one (display name, family, defaults, visibility to members) or
/// many at once; and free each server's GPU memory. Admins only: the route requires the Admin role, and every change
/// is checked again by the service that makes it.
/// </summary>
public sealed partial class ModelsPage : IDisposable
{
    private const int PageSize = 50;
    private static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(250);

    [Inject] private ModelOverview Overview { get; set; } = default!;
    [Inject] private ModelCatalogue Catalogue { get; set; } = default!;
    [Inject] private ModelSettings Settings { get; set; } = default!;
    [Inject] private ServerMemory MemoryActions { get; set; } = default!;
    [Inject] private IModelFolders Folders { get; set; } = default!;
    [Inject] private BackendPool Pool { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private ModelFiles Files { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;

    private ModelQuery _query = new();
    private IReadOnlyList<ModelRow> _rows = [];
    private readonly HashSet<ModelKey> _selected = [];
    private ModelRow? _editing;
    private int _page = 1;
    private string _bulkFamily = string.Empty;
    private string? _bulkTags;
    private string? _error;
    private bool _deleting;
    private RenderThrottle? _throttle;
    private readonly List<IDisposable> _subscriptions = [];

    private int PageCount => Math.Max(1, (_rows.Count + PageSize - 1) / PageSize);

    private IEnumerable<ModelRow> PageRows => _rows.Skip((_page - 1) * PageSize).Take(PageSize);

    private bool AllOnPageSelected => PageRows.Any() && PageRows.All(r => _selected.Contains(r.Key));

    private string CountText => _rows.Count == 0
        ? (Pool.Backends.Any(b => b.IsOnline) ? "No model matches." : "No server is online: models are listed from the online servers.")
        : PageCount == 1 ? Words.Count(_rows.Count, "model") : $"{Words.Count(_rows.Count, "model")}, page {_page} of {PageCount}";

    protected override async Task OnInitializedAsync()
    {
        _throttle = new RenderThrottle(InvokeAsync, () => LoadAsync().Observe(DispatchExceptionAsync), DispatchExceptionAsync, RenderInterval);
        await LoadAsync(render: false);
        _subscriptions.Add(Catalogue.Subscribe(_ => _throttle.Request()));
        _subscriptions.Add(Settings.Subscribe(_ => _throttle.Request()));
        _subscriptions.Add(Pool.Subscribe(_ => _throttle.Request()));
    }

    private async Task LoadAsync(bool render = true)
    {
        _rows = await Overview.QueryAsync(_query, CancellationToken.None);
        _page = Math.Clamp(_page, 1, PageCount);
        if (_editing is not null)
        {
            _editing = _rows.FirstOrDefault(r => r.Key == _editing.Key) ?? _editing;
        }
        if (render)
        {
            StateHasChanged();
        }
    }

    private Task QueryChanged(ModelQuery query)
    {
        _query = query;
        _page = 1;
        return LoadAsync(render: false);
    }

    private Task SearchChanged(string? search) => QueryChanged(_query with { Search = search });

    private Task KindChanged(string kind) => QueryChanged(_query with { Kind = kind.Length == 0 ? null : kind });

    private Task FamilyChanged(string family) => QueryChanged(_query with { Family = family.Length == 0 ? null : ModelFamilies.Parse(family) });

    private Task ServerChanged(string server) => QueryChanged(_query with { Server = server.Length == 0 ? null : server });

    private Task VisibilityChanged(string visibility) => QueryChanged(_query with { Visibility = Enum.Parse<ModelVisibility>(visibility) });

    private Task SortChanged(string value)
    {
        var sort = Enum.Parse<ModelSort>(value);
        return QueryChanged(_query with { Sort = sort, Descending = sort is ModelSort.Size or ModelSort.LastUsed or ModelSort.TimesUsed });
    }

    private Task DescendingChanged(bool descending) => QueryChanged(_query with { Descending = descending });

    private void PageChanged(int page) => _page = page;

    private void Select(ModelKey key, bool on)
    {
        if (on)
        {
            _selected.Add(key);
        }
        else
        {
            _selected.Remove(key);
        }
    }

    private void SelectPage(bool on)
    {
        foreach (var row in PageRows.ToList())
        {
            Select(row.Key, on);
        }
    }

    private void Edit(ModelRow row) => _editing = row;

    private async Task EditorClosedAsync()
    {
        _editing = null;
        await LoadAsync(render: false);
    }

    private async Task BulkAsync(BulkModelAction action)
    {
        var user = await CurrentUser.GetAsync();
        var family = _bulkFamily.Length == 0 ? (ModelFamily?)null : ModelFamilies.Parse(_bulkFamily);
        var count = _selected.Count;
        _error = await Settings.BulkAsync(user, [.. _selected], action, family, _bulkTags, CancellationToken.None);
        if (_error is null)
        {
            var done = action switch
            {
                BulkModelAction.Hide => "hidden from members",
                BulkModelAction.Show => "visible to members",
                BulkModelAction.SetFamily => family is null ? "back to the family read from the file" : $"set to {family.Value.Label()}",
                BulkModelAction.AddTags => "tagged",
                _ => "untagged",
            };
            Snackbar.Add($"{Words.Count(count, "model")} {done}.", Severity.Success);
            await LoadAsync(render: false);
        }
    }

    /// <summary>
    /// Deletes the selected models' files after a confirmation naming, per file, the servers it is deleted from and those
    /// that keep it; the files go through <see cref="ModelFiles.DeleteManyAsync"/> (the single file's delete, for each).
    /// </summary>
    private async Task BulkDeleteAsync()
    {
        var selected = Catalogue.Models().Where(m => _selected.Contains(m.Key)).ToList();
        var plans = selected.Select(m => Files.PlanDelete(m.Kind.Folder, m.Name, m.Servers)).ToList();
        var dialog = await Dialogs.ShowAsync<BulkDeleteDialog>("Delete model files",
            new DialogParameters<BulkDeleteDialog> { { d => d.Plans, plans } },
            new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is not { Canceled: false })
        {
            return;
        }
        _deleting = true;
        try
        {
            var deletable = plans.Where(p => p.DeletedFrom.Count > 0).Select(p => (p.Kind, p.Name)).ToList();
            var (deleted, message) = await Files.DeleteManyAsync(await CurrentUser.GetAsync(), deletable, CancellationToken.None);
            Snackbar.Add(message, deleted == deletable.Count ? Severity.Success : Severity.Warning);
            _selected.Clear();
            await ReloadAsync();
        }
        finally
        {
            _deleting = false;
        }
    }

    private async Task ReloadAsync()
    {
        var online = Pool.Backends.Where(b => b.IsOnline).ToList();
        foreach (var backend in online)
        {
            try
            {
                await Catalogue.RefreshAsync(backend, CancellationToken.None);
            }
            catch (Exception ex) when (ex is HttpRequestException or InvalidDataException or System.Text.Json.JsonException or TaskCanceledException)
            {
                Snackbar.Add($"Could not read the models of {backend.Name}: {ex.Message}", Severity.Error);
            }
        }
        Overview.InvalidateUsage();
        await LoadAsync(render: false);
    }

    private async Task FreeAsync(string server, bool freeMemory)
    {
        var (done, message) = await MemoryActions.FreeAsync(await CurrentUser.GetAsync(), server, freeMemory, CancellationToken.None);
        Snackbar.Add(message, done ? Severity.Success : Severity.Error);
    }

    private string FolderText(string server) => Folders.RootFor(server) is { } root
        ? $"Models folder: {root}"
        : "Models folder not reachable from the app: sizes and hashes are not shown (set it on the Backends page).";

    private static string FamilyText(ModelInfo info) => info.FamilySet is not null ? info.Family.Label()
        : info.Inferred is { } inferred ? $"{inferred.Label()} (read from the file)"
        : "not read yet";

    private string HashText(ModelRow row, string? sha) =>
        !Overview.IsReachable(row) ? "" : sha is not null ? $"{ModelFamilies.ShortHash(sha)}…" : "hashing…";

    private static string Memory(long used, long total) => total <= 0 ? "not reported" : $"{Bytes(used)} of {Bytes(total)} in use";

    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.##} GB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.#} MB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
        _ => Words.Count(bytes, "byte"),
    };

    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
    }
}
