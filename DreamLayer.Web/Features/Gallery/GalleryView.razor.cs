using DreamLayer.Web.Accounts;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Data;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web.Virtualization;
using Microsoft.JSInterop;
using MudBlazor;

namespace DreamLayer.Web.Features.Gallery;

/// <summary>A row of the virtualized grid: as many thumbnails as fit the width.</summary>
public sealed record GalleryRow(int Index, IReadOnlyList<GalleryItem> Items);

/// <summary>
/// The team's gallery (and the trash, and one board): a virtualized grid of thumbnails read a page at a time
/// through <see cref="GalleryPager"/>, search and filters, multi-select, and live updates from teammates. What is
/// listed, and every action, is decided by <see cref="GalleryService"/> for the signed-in viewer.
/// </summary>
public sealed partial class GalleryView
{
    private const int CellWidth = 188;
    private const float RowHeight = 206;

    /// <summary>News from teammates (new images, changes) is gathered and applied at most this often.</summary>
    private static readonly TimeSpan NewsInterval = TimeSpan.FromMilliseconds(500);

    [Inject] private GalleryService Gallery { get; set; } = default!;
    [Inject] private BoardService BoardStore { get; set; } = default!;
    [Inject] private JobEvents Jobs { get; set; } = default!;
    [Inject] private GalleryEvents Changes { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;
    [Inject] private ViewerClock Clock { get; set; } = default!;

    /// <summary>The board shown, from <c>/boards/{id}</c>.</summary>
    [Parameter]
    public Guid? BoardId { get; set; }

    /// <summary>Show the trash instead of the gallery.</summary>
    [Parameter]
    public bool Trash { get; set; }

    private SignedInUser? _viewer;
    private GalleryFilter _filter = new();
    private GalleryPager? _pager;
    private GalleryFacets? _facets;
    private IReadOnlyList<BoardEntity> _boards = [];
    private BoardEntity? _board;
    private bool _isTrash;
    private bool _loaded;
    private int _total;
    private int _columns = 6;
    private readonly HashSet<Guid> _selected = [];
    private ElementReference _grid;
    private Virtualize<GalleryRow>? _virtualize;
    private IJSObjectReference? _module;
    private DotNetObjectReference<GalleryView>? _self;
    private IDisposable? _jobSubscription;
    private IDisposable? _changeSubscription;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly Lock _newsLock = new();
    private List<NewImage> _newImages = [];
    private bool _galleryChanged;
    private RenderThrottle? _news;

    private string Title => _isTrash ? "Trash" : _board is not null ? _board.Name : "Gallery";

    private string CountText => _pager is null ? string.Empty
        : _total > GalleryService.CountLimit ? $"{GalleryService.CountLimit:N0}+ images" : Words.Count(_total, "image");

    private string EmptyText => _isTrash
        ? "The trash is empty."
        : _filter with { TimeZone = TimeZoneInfo.Utc } == BaseFilter() ? "No images yet. Everything the team generates appears here, newest first." : "No image matches the search and filters.";

    protected override async Task OnParametersSetAsync()
    {
        _viewer ??= await CurrentUser.GetAsync();
        _isTrash = Trash;
        _boards = await BoardStore.ListAsync(_viewer);
        _board = BoardId is { } id ? _boards.FirstOrDefault(b => b.Id == id) : null;
        _facets = await Gallery.FacetsAsync(_viewer);
        _selected.Clear();
        _loaded = true;
        await ApplyFilterAsync(BaseFilter());
        _news ??= new RenderThrottle(InvokeAsync, () => ApplyNewsAsync().Observe(DispatchExceptionAsync), DispatchExceptionAsync, NewsInterval);
        _jobSubscription ??= Jobs.SubscribeImages(OnImageCreated);
        _changeSubscription ??= Changes.Subscribe(OnGalleryChange);
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _module = await JS.InvokeAsync<IJSObjectReference>("import", "./Features/Gallery/GalleryView.razor.js");
            _self = DotNetObjectReference.Create(this);
            await SetColumns(await _module.InvokeAsync<int>("watchColumns", _grid, CellWidth, _self));
            // The tooltips give each image's date in the viewer's time zone, once the browser has said which.
            if (!Clock.Known)
            {
                await Clock.LoadAsync(JS);
                StateHasChanged();
            }
        }
    }

    /// <summary>Called from the page's script when the window's width changes the number of columns.</summary>
    [JSInvokable]
    public async Task SetColumns(int columns)
    {
        if (columns != _columns && columns > 0)
        {
            _columns = columns;
            await RefreshGridAsync();
            StateHasChanged();
        }
    }

    private GalleryFilter BaseFilter() => new()
    {
        View = _isTrash ? GallerySection.Trash : GallerySection.Images,
        BoardId = BoardId is not null ? (_board?.Id ?? Guid.Empty) : null,
    };

    private async Task ApplyFilterAsync(GalleryFilter filter)
    {
        // The view and the board come from the address, never from the toolbar.
        var baseFilter = BaseFilter();
        if ((filter.From ?? filter.To) is not null && !Clock.Known)
        {
            await Clock.LoadAsync(JS); // a day is the viewer's day (the dates are picked in the browser, so it answers)
        }
        _filter = filter with { View = baseFilter.View, BoardId = baseFilter.BoardId, TimeZone = Clock.Zone };
        _pager = new GalleryPager(Gallery, _viewer!, _filter);
        _total = await Gallery.CountAsync(_viewer!, _filter);
        await RefreshGridAsync();
    }

    private async ValueTask<ItemsProviderResult<GalleryRow>> LoadRowsAsync(ItemsProviderRequest request)
    {
        var pager = _pager!;
        var columns = _columns;
        var items = await pager.GetAsync(request.StartIndex * columns, request.Count * columns, request.CancellationToken);
        var rows = items.Chunk(columns).Select((chunk, i) => new GalleryRow(request.StartIndex + i, chunk)).ToList();
        return new ItemsProviderResult<GalleryRow>(rows, (pager.ScrollLength + columns - 1) / columns);
    }

    private async Task RefreshGridAsync()
    {
        if (_virtualize is not null)
        {
            await _virtualize.RefreshDataAsync();
        }
    }

    /// <summary>The gallery changed somewhere: count again and re-read what is on screen, through this viewer's filter.</summary>
    private async Task RefreshAsync(bool keepSelection)
    {
        if (_pager is null)
        {
            return;
        }
        await _refreshing.WaitAsync();
        try
        {
            _pager.Reset();
            _total = await Gallery.CountAsync(_pager.Viewer, _pager.Filter);
            if (!keepSelection)
            {
                _selected.Clear();
            }
            _facets = await Gallery.FacetsAsync(_viewer!);
            await RefreshGridAsync();
            StateHasChanged();
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private void OnImageCreated(ImageCreated created)
    {
        lock (_newsLock)
        {
            _newImages.Add(created.Image);
        }
        _news?.Request();
    }

    private void OnGalleryChange(GalleryChange change)
    {
        lock (_newsLock)
        {
            _galleryChanged = true;
        }
        _news?.Request();
    }

    /// <summary>
    /// Everything that came since the last look, in one go. A new image from a job costs no read of the database in most
    /// galleries: whether this viewer sees it, and whether the filters let it through, is decided from its columns; it
    /// is put in front of the grid, counted, and its values added to the filter lists. Only a search, favourites or a
    /// board asks the database whether the image is in (one look-up by id). The gallery is read again only when that
    /// cannot place it (sorted by person, scrolled far down, an older image) and for other changes (trash, privacy,
    /// imports), as one re-read of what is on screen for the whole burst.
    /// </summary>
    private async Task ApplyNewsAsync()
    {
        List<NewImage> images;
        bool changed;
        lock (_newsLock)
        {
            (images, _newImages, changed, _galleryChanged) = (_newImages, [], _galleryChanged, false);
        }
        if (_pager is not { } pager || (images.Count == 0 && !changed))
        {
            return;
        }
        try
        {
            if (changed)
            {
                await RefreshAsync(keepSelection: true); // the new images come with the re-read
                return;
            }
            var reread = false;
            var render = false;
            // Oldest first, so that each one put in front is the newest.
            foreach (var image in images.OrderBy(i => i.CreatedAt).ThenBy(i => i.Seq))
            {
                if (!GalleryNews.MaySee(pager.Viewer, image))
                {
                    continue; // a teammate's private image never shows, not even in the filter lists
                }
                if (_facets?.With(image) is { } facets && !ReferenceEquals(facets, _facets))
                {
                    (_facets, render) = (facets, true);
                }
                var fit = GalleryNews.Fits(pager.Viewer, pager.Filter, image);
                if (fit == NewImageFit.No || (fit == NewImageFit.Ask && !await Gallery.MatchesAsync(pager.Viewer, pager.Filter, image.Id)))
                {
                    continue;
                }
                if (!pager.TryPrepend(GalleryNews.Item(image)))
                {
                    reread = true; // it reads this image and every later one
                    break;
                }
                _total = Math.Min(_total + 1, GalleryService.CountLimit + 1);
                render = true;
            }
            if (reread)
            {
                await RefreshAsync(keepSelection: true);
            }
            else if (render)
            {
                await RefreshGridAsync(); // from what the pager holds
                StateHasChanged();
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
        {
            await DispatchExceptionAsync(ex);
        }
    }

    private void Toggle(Guid id)
    {
        if (!_selected.Remove(id))
        {
            _selected.Add(id);
        }
    }

    private void ClearSelection() => _selected.Clear();

    /// <summary>Opens an image; the dialog's previous/next walk through the grid in its order, with its search and filters.</summary>
    private async Task OpenAsync(Guid id)
    {
        var dialog = await ImageDialog.ShowAsync(Dialogs, id, _pager?.LoadedAround(id));
        await dialog.Result;
    }

    private async Task SelectionActionAsync(string message)
    {
        Snackbar.Add(message, message.Contains("refused", StringComparison.Ordinal) ? Severity.Warning : Severity.Success);
        _boards = await BoardStore.ListAsync(_viewer!);
        await RefreshAsync(keepSelection: false);
    }

    private async Task EmptyTrashAsync()
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Empty the trash",
            _viewer!.IsAdmin ? "Remove every image in the trash for good, everyone's? Their files are deleted." : "Remove your images in the trash for good? Their files are deleted.",
            yesText: "Empty trash", cancelText: "Cancel");
        if (confirmed == true)
        {
            var result = await Gallery.EmptyTrashAsync(_viewer);
            Snackbar.Add(result.Describe("removed for good"), Severity.Success);
            await RefreshAsync(keepSelection: false);
        }
    }

    private async Task NewBoardAsync()
    {
        var dialog = await Dialogs.ShowAsync<BoardDialog>("New board");
        if (await dialog.Result is { Canceled: false, Data: BoardDialogResult result })
        {
            var board = await BoardStore.CreateAsync(_viewer!, result.Name, result.Shared);
            Navigation.NavigateTo($"/boards/{board.Id}");
        }
    }

    private async Task BoardChangedAsync(bool deleted)
    {
        if (deleted)
        {
            Navigation.NavigateTo("/gallery");
            return;
        }
        _boards = await BoardStore.ListAsync(_viewer!);
        _board = _boards.FirstOrDefault(b => b.Id == BoardId);
    }

    private async Task ImportAsync()
    {
        var dialog = await Dialogs.ShowAsync<ImportDialog>("Import a folder", new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        await dialog.Result;
        await RefreshAsync(keepSelection: true);
    }

    private string Tooltip(GalleryItem item) => $"{item.Prompt}\n{item.OwnerName} · {item.Width}×{item.Height} · {Clock.Format(item.CreatedAt)}";

    public async ValueTask DisposeAsync()
    {
        _jobSubscription?.Dispose();
        _changeSubscription?.Dispose();
        if (_module is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("stopColumns", _grid);
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The browser is gone; its listeners went with it.
            }
        }
        _self?.Dispose();
        _refreshing.Dispose();
    }
}
