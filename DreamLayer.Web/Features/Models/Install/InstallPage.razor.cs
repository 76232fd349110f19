using System.Globalization;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Models.Install;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.JSInterop;
using MudBlazor;

namespace DreamLayer.Web.Features.Models.Install;

/// <summary>
/// Admins install a model on chosen servers, by address (a background download) or by uploading a file (posted by the
/// browser straight to <see cref="ModelUploadEndpoints"/>, with progress), and follow every install under way: the
/// list is the same for every admin and updates live. Below, the files of the chosen kind with Rename / Move / Delete.
/// </summary>
public sealed partial class InstallPage : IAsyncDisposable
{
    [Inject] private ModelInstalls Installs { get; set; } = default!;
    [Inject] private ModelDownloads Downloads { get; set; } = default!;
    [Inject] private ModelFiles Files { get; set; } = default!;
    [Inject] private BackendPool Pool { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private AntiforgeryStateProvider Antiforgery { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    private readonly HashSet<string> _servers = new(StringComparer.Ordinal);
    private IReadOnlyList<(string Server, string? Root, string? WhyNot)> _folders = [];
    private IReadOnlyList<InstallProgress> _installs = [];
    private IReadOnlyList<ModelFiles.Entry> _files = [];
    private IDisposable? _installSubscription;
    private IDisposable? _poolSubscription;
    private RenderThrottle? _throttle;
    private IJSObjectReference? _module;
    private DotNetObjectReference<InstallPage>? _self;
    private ElementReference _file;
    private string? _unavailable;
    private string? _antiforgery;
    private string _kind = "checkpoints";
    private int _tab;
    private string? _url;
    private string? _urlName;
    private string? _urlSha;
    private string? _uploadName;
    private string? _uploadSha;
    private bool _uploading;
    private long _uploadSent;
    private long _uploadTotal;
    private double _uploadPercent;
    private string? _error;

    protected override void OnInitialized()
    {
        _antiforgery = Antiforgery.GetAntiforgeryToken()?.Value;
        _throttle = new RenderThrottle(InvokeAsync, Refresh, DispatchExceptionAsync, TimeSpan.FromMilliseconds(200));
        Refresh();
        foreach (var folder in _folders.Where(f => f.Root is not null))
        {
            _servers.Add(folder.Server);
        }
        _installSubscription = Installs.Subscribe(_ => _throttle.Request());
        _poolSubscription = Pool.Subscribe(_ => _throttle.Request());
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _module = await JS.InvokeAsync<IJSObjectReference>("import", "./Features/Models/Install/InstallPage.razor.js");
        }
    }

    private void Refresh()
    {
        _unavailable = Installs.Unavailable();
        _folders = Installs.Folders();
        _installs = Installs.List();
        _files = Files.List(_kind);
        StateHasChanged();
    }

    private void ReloadFiles() => Refresh();

    private void KindChanged(string kind)
    {
        _kind = kind;
        _files = Files.List(kind);
    }

    private void ToggleServer(string server, bool on)
    {
        if (on)
        {
            _servers.Add(server);
        }
        else
        {
            _servers.Remove(server);
        }
    }

    private string? UrlFileName() =>
        Uri.TryCreate(_url?.Trim(), UriKind.Absolute, out var url) ? ModelFileName.FromUrl(url) : null;

    private async Task DownloadAsync()
    {
        _error = null;
        if (!Uri.TryCreate(_url?.Trim(), UriKind.Absolute, out var url))
        {
            _error = "Give the whole address of the file, starting with https://.";
            return;
        }
        var name = string.IsNullOrWhiteSpace(_urlName) ? ModelFileName.FromUrl(url) : _urlName.Trim();
        if (name is null)
        {
            _error = "The address does not end with a model file's name; type the file name.";
            return;
        }
        var actor = await CurrentUser.GetAsync();
        var (id, error) = Downloads.Enqueue(actor, new InstallRequest(_kind, name, [.. _servers.Order(StringComparer.Ordinal)], url, Blank(_urlSha)));
        if (id is null)
        {
            _error = error;
            return;
        }
        _url = _urlName = _urlSha = null;
        Refresh();
    }

    private async Task FileChosenAsync()
    {
        if (_module is not null && await _module.InvokeAsync<string?>("fileName", _file) is { } chosen)
        {
            _uploadName = chosen;
        }
    }

    private async Task UploadAsync()
    {
        _error = null;
        if (_module is null)
        {
            return;
        }
        var name = _uploadName?.Trim();
        if ((ModelKinds.Problem(_kind) ?? ModelFileName.Problem(name)) is { } problem)
        {
            _error = problem;
            return;
        }
        var query = string.Join('&', new[] { $"kind={Uri.EscapeDataString(_kind)}", $"name={Uri.EscapeDataString(name!)}" }
            .Concat(_servers.Order(StringComparer.Ordinal).Select(s => $"server={Uri.EscapeDataString(s)}"))
            .Concat(Blank(_uploadSha) is { } sha ? [$"sha256={Uri.EscapeDataString(sha)}"] : []));
        _self ??= DotNetObjectReference.Create(this);
        if (!await _module.InvokeAsync<bool>("upload", _file, $"{ModelUploadEndpoints.Path}?{query}", _antiforgery, _self))
        {
            _error = "Choose a file first.";
            return;
        }
        _uploading = true;
        _uploadSent = 0;
        _uploadPercent = 0;
    }

    private async Task CancelUploadAsync()
    {
        if (_module is not null)
        {
            await _module.InvokeVoidAsync("cancel");
        }
    }

    /// <summary>The browser's upload progress (at most five times a second).</summary>
    [JSInvokable]
    public Task OnUploadProgress(long sent, long total) => InvokeAsync(() =>
    {
        _uploadSent = sent;
        _uploadTotal = total;
        _uploadPercent = total > 0 ? 100.0 * sent / total : 0;
        StateHasChanged();
    });

    /// <summary>The upload's answer: the app's message, or why it stopped.</summary>
    [JSInvokable]
    public Task OnUploadEnded(int status, string? text) => InvokeAsync(() =>
    {
        _uploading = false;
        if (status == 200)
        {
            Snackbar.Add(text ?? "Installed.", Severity.Success);
            _uploadName = _uploadSha = null;
        }
        else if (status != 0 || !string.IsNullOrEmpty(text))
        {
            _error = string.IsNullOrEmpty(text) ? $"The upload failed ({status})." : text;
        }
        Refresh();
    });

    private async Task CancelAsync(InstallProgress install) => Installs.Cancel(await CurrentUser.GetAsync(), install.Id);

    private static string Progress(InstallProgress install)
    {
        if (install.State == InstallState.Waiting)
        {
            return "Waiting for a free download slot…";
        }
        if (install.State == InstallState.Checking)
        {
            return "Checking the file…";
        }
        var text = install.Total is { } total
            ? $"{ModelInstalls.Size(install.Received)} of {ModelInstalls.Size(total)}"
            : ModelInstalls.Size(install.Received);
        if (install.BytesPerSecond > 0)
        {
            text += $" · {ModelInstalls.Size((long)install.BytesPerSecond)}/s";
        }
        if (install.TimeLeft is { } left)
        {
            text += left.TotalMinutes >= 1
                ? $" · {(int)left.TotalMinutes} min {left.Seconds} s left"
                : $" · {Math.Ceiling(left.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s left";
        }
        return text;
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    public async ValueTask DisposeAsync()
    {
        _installSubscription?.Dispose();
        _poolSubscription?.Dispose();
        _self?.Dispose();
        if (_module is not null)
        {
            try
            {
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // the circuit is gone
            }
        }
    }
}
