using System.Globalization;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;

namespace DreamLayer.Web.Features.Dashboard;

/// <summary>
/// The team's figures from the job records (<see cref="DashboardQueries"/>). The per-person chart is read and drawn only
/// for an admin, decided here on the server from the signed-in person; its export refuses a member too
/// (<see cref="DashboardEndpoints"/>).
/// </summary>
public sealed partial class DashboardPage
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly string[] Weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    private static readonly string[] HourLabels = [.. Enumerable.Range(0, 24).Select(h => h.ToString("00", CultureInfo.InvariantCulture))];

    [Inject] private DashboardQueries Queries { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;
    [Inject] private ViewerClock Clock { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;

    private bool _admin;
    private DashboardRange _range = null!;
    private DateRange _picked = new();
    private string? _error;
    private DashboardCounts? _totals;
    private List<ChartSeries<double>> _daySeries = [];
    private string[] _dayLabels = [];
    private List<DashboardGroup>? _people;
    private List<DashboardTiming>? _models;
    private List<DashboardTiming>? _servers;
    private IReadOnlyList<DashboardSpeed>? _speed;
    private List<DashboardFailure>? _failures;
    private List<ChartSeries<double>> _hourSeries = [];
    private readonly BarChartOptions _barOptions = BarOptions(null);

    /// <summary>Succeeded in the app's blue, failed in red: a bad day reads as one at a glance.</summary>
    private readonly BarChartOptions _dayOptions = WithPalette(BarOptions(null), "#2979ff", "#e53935");
    private readonly HeatMapChartOptions _heatOptions = new() { ShowLegend = false, ShowToolTips = true, ValueFormatString = "0" };

    private DateOnly Today => DateOnly.FromDateTime(Time.GetUtcNow().UtcDateTime);

    protected override async Task OnInitializedAsync()
    {
        _admin = (await CurrentUser.GetAsync()).IsAdmin;
        _range = DashboardRange.Default(Today);
        _picked = new DateRange(_range.From.ToDateTime(TimeOnly.MinValue), _range.To.ToDateTime(TimeOnly.MinValue));
        await LoadAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // The busiest hours are in the viewer's time zone, once the browser has said which.
        if (firstRender && !Clock.Known)
        {
            await Clock.LoadAsync(JS);
            if (Clock.Known && _totals is not null)
            {
                await LoadHoursAsync();
                StateHasChanged();
            }
        }
    }

    private async Task ChangeRangeAsync(DateRange? picked)
    {
        if (picked?.Start is not { } start || picked.End is not { } end)
        {
            return;
        }
        var today = Today;
        if (!DashboardEndpoints.TryParseRange(start.ToString("yyyy-MM-dd", Invariant), end.ToString("yyyy-MM-dd", Invariant), today, out var range, out var error))
        {
            _error = error;
            return;
        }
        _error = null;
        _picked = picked;
        _range = range;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        var ct = CancellationToken.None;
        _totals = await Queries.TotalsAsync(_range, ct);
        var days = await Queries.DaysAsync(_range, ct);
        _daySeries = [Series("Succeeded", days.Select(d => (double)d.Counts.Succeeded)), Series("Failed", days.Select(d => (double)d.Counts.Failed))];
        _dayLabels = [.. days.Select((d, i) => i % Math.Max(1, days.Count / 8) == 0 ? d.Day.ToString("MM-dd", Invariant) : string.Empty)];
        _people = _admin ? await Queries.PeopleAsync(_range, ct) : null;
        _models = await Queries.ModelsAsync(_range, ct);
        _servers = await Queries.ServersAsync(_range, ct);
        _speed = await Queries.SpeedAsync(_range, ct);
        _failures = await Queries.FailuresAsync(_range, ct);
        await LoadHoursAsync();
    }

    private async Task LoadHoursAsync()
    {
        var hours = await Queries.HoursAsync(_range, Clock.Zone, CancellationToken.None);
        _hourSeries = [.. hours.Chunk(24).Select((day, i) => Series(Weekdays[i], day.Select(h => (double)h.Jobs)))];
    }

    private string Export(DashboardChart chart) => DashboardEndpoints.ExportUrl(chart, _range, Clock.Known ? Clock.Zone.Id : null);

    internal static ChartSeries<double> Series(string name, IEnumerable<double> values) => new() { Name = name, Data = new ChartData<double>([.. values]) };

    private static List<ChartSeries<double>> One(string name, IEnumerable<double> values) => [Series(name, values)];

    private static string[] Labels(IEnumerable<string> names) => [.. names.Select(Short)];

    /// <summary>A label short enough for an axis on a phone: the file name without its extension, at most 14 characters.</summary>
    internal static string Short(string name)
    {
        var stem = Path.GetFileNameWithoutExtension(name.Replace('\\', '/'));
        stem = stem.Length == 0 ? name : stem;
        return stem.Length <= 14 ? stem : string.Concat(stem.AsSpan(0, 13), "…");
    }

    internal static BarChartOptions BarOptions(string? yTitle) => new()
    {
        ShowLegend = true,
        ShowToolTips = true,
        YAxisTitle = yTitle,
        XAxisLabelRotation = 30,
        MaxNumYAxisTicks = 6,
    };

    private static BarChartOptions WithPalette(BarChartOptions options, params string[] palette)
    {
        options.ChartPalette = palette;
        return options;
    }

    internal static string Percent(double? rate) => rate is { } r ? (r * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %" : "–";
}
