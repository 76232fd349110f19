using DreamLayer.Web.Comfy;
using DreamLayer.Web.Components;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace DreamLayer.Web.Features.Backends;

/// <summary>
/// Admins add, edit, enable, disable and remove ComfyUI servers (stored in the database, merged with
/// appsettings.json) and watch their health live. Jobs on a server that is disabled or removed move elsewhere.
/// Admins only: the route requires the Admin role, and every change checks it again.
/// </summary>
public sealed partial class BackendsPage : IDisposable
{
    [Inject] private BackendSettings Settings { get; set; } = default!;
    [Inject] private BackendPool Pool { get; set; } = default!;
    [Inject] private JobTracker Tracker { get; set; } = default!;
    [Inject] private ComfyConnectionService Connections { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private DreamLayer.Web.Accounts.CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private CloudBackends CloudBackends { get; set; } = default!;
    [Inject] private CloudRunner CloudRunner { get; set; } = default!;

    /// <summary>How often the cloud providers' rows are read again while the page is open (their jobs and errors raise no pool event).</summary>
    private static readonly TimeSpan CloudRefresh = TimeSpan.FromSeconds(2);

    private IReadOnlyList<CloudBackendStatus> _cloud = [];
    private readonly Dictionary<Cloud.CloudProviderId, int> _caps = [];
    private string? _cloudError;
    private readonly CancellationTokenSource _closing = new();

    private IReadOnlyList<BackendSetting> _settings = [];
    private IDisposable? _subscription;
    private string? _editing;
    private string _name = string.Empty;
    private string _url = "http://";
    private int _max = 2;
    private bool _enabled = true;
    private string? _modelsDirectory;
    private string? _error;

    protected override async Task OnInitializedAsync()
    {
        _settings = await Settings.LoadAsync(CancellationToken.None);
        _cloud = await CloudBackends.StatusAsync(CloudRunner.InFlightCount, CancellationToken.None);
        _ = WatchCloudAsync(_closing.Token);
        _subscription = Pool.Subscribe(changed => InvokeAsync(async () =>
        {
            _settings = await Settings.LoadAsync(CancellationToken.None);
            StateHasChanged();
        }).Observe(DispatchExceptionAsync));
    }

    private void Edit(BackendSetting setting)
    {
        _editing = setting.Name;
        _name = setting.Name;
        _url = setting.Url;
        _max = setting.MaxJobsInFlight;
        _enabled = setting.Enabled;
        _modelsDirectory = setting.ModelsDirectory;
        _error = null;
    }

    private void ClearForm()
    {
        _editing = null;
        _name = string.Empty;
        _url = "http://";
        _max = 2;
        _enabled = true;
        _modelsDirectory = null;
        _error = null;
    }

    /// <summary>Reads the providers' rows again every <see cref="CloudRefresh"/>; renders only when they changed.</summary>
    private async Task WatchCloudAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(CloudRefresh);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                IReadOnlyList<CloudBackendStatus> now;
                try
                {
                    now = await CloudBackends.StatusAsync(CloudRunner.InFlightCount, ct);
                }
#pragma warning disable CA1031 // a failed read (the settings table locked a moment) keeps the rows shown; the next tick tries again
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    continue;
                }
                if (!now.SequenceEqual(_cloud))
                {
                    await InvokeAsync(() =>
                    {
                        _cloud = now;
                        StateHasChanged();
                    });
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the page closed
        }
    }

    private int CapOf(CloudBackendStatus cloud) => _caps.TryGetValue(cloud.Provider, out var typed) ? typed : cloud.MaxInFlight;

    private async Task SetCapAsync(CloudBackendStatus cloud)
    {
        var actor = await CurrentUser.GetAsync();
        if (!actor.IsAdmin)
        {
            _cloudError = "Only an admin can change how many jobs a provider takes.";
            return;
        }
        var cap = CapOf(cloud);
        _cloudError = await CloudBackends.SetCapAsync(actor, cloud.Provider, cap, CancellationToken.None);
        if (_cloudError is null)
        {
            _caps.Remove(cloud.Provider);
            Snackbar.Add($"{cloud.Name} now takes at most {cap} {(cap == 1 ? "job" : "jobs")} at once.", Severity.Success);
        }
        _cloud = await CloudBackends.StatusAsync(CloudRunner.InFlightCount, CancellationToken.None);
    }

    private async Task<bool> IsAdminAsync()
    {
        if ((await CurrentUser.GetAsync()).IsAdmin)
        {
            return true;
        }
        _error = "Only an admin can change servers.";
        return false;
    }

    private async Task SaveAsync()
    {
        if (!await IsAdminAsync())
        {
            return;
        }
        var result = await Settings.SaveAsync(_editing, _name, _url, _max, _enabled, CancellationToken.None, _modelsDirectory);
        if (Report(result, _editing is null ? $"Added {_name.Trim()}." : $"Saved {_name.Trim()}."))
        {
            ClearForm();
        }
    }

    private async Task ToggleAsync(BackendSetting setting)
    {
        if (await IsAdminAsync())
        {
            Report(await Settings.SetEnabledAsync(setting.Name, !setting.Enabled, CancellationToken.None),
                setting.Enabled ? $"Disabled {setting.Name}; its jobs move to other servers." : $"Enabled {setting.Name}.");
        }
    }

    private async Task RemoveAsync(BackendSetting setting)
    {
        if (await IsAdminAsync())
        {
            Report(await Settings.RemoveAsync(setting.Name, CancellationToken.None), $"Removed {setting.Name}.");
        }
    }

    private async Task RefreshAsync(ComfyBackend backend)
    {
        if (!await IsAdminAsync())
        {
            return;
        }
        try
        {
            await Connections.RefreshCatalogueAsync(backend, CancellationToken.None);
            Snackbar.Add($"Reloaded the models of {backend.Name}.", Severity.Success);
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException or TaskCanceledException)
        {
            Snackbar.Add($"Could not read {backend.Name}'s catalogue: {ex.Message}", Severity.Error);
        }
    }

    private bool Report(BackendChangeResult result, string success)
    {
        if (result is BackendRefused refused)
        {
            _error = refused.Reason;
            return false;
        }
        _error = null;
        Snackbar.Add(success, Severity.Success);
        return true;
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _closing.Cancel();
        _closing.Dispose();
    }
}
