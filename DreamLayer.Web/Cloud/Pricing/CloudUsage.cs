using System.Globalization;
using System.Text;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Cloud.Pricing;

/// <summary>One line of the usage table: what one person spent on one model in one month.</summary>
public sealed record CloudUsageRow(DateTime Month, string PersonId, string Person, string Model, int Jobs, int Images, decimal Usd);

/// <summary>
/// Spend on cloud pictures per person, model and month, read from the jobs' recorded costs (the Usage page and its
/// CSV). A member reads only their own; the pages and the export check that before asking.
/// </summary>
public sealed class CloudUsage(IDbContextFactory<DreamLayerDbContext> dbFactory, DisplayNames displayNames)
{
    /// <summary>The usage lines of the months from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive), of one person or (null) everyone.</summary>
    public async Task<IReadOnlyList<CloudUsageRow>> RowsAsync(DateTime from, DateTime to, string? personId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var jobs = db.Jobs.AsNoTracking().Where(j => j.CostUsd != null && j.CreatedAt >= from && j.CreatedAt < to);
        if (personId is not null)
        {
            jobs = jobs.Where(j => j.Owner == personId);
        }
        var found = await jobs
            .Select(j => new { j.Owner, j.CloudProvider, j.Checkpoint, j.CreatedAt, Cost = j.CostUsd!.Value, Images = j.Images.Count })
            .ToListAsync(ct);
        var names = await displayNames.AllAsync(ct);
        return
        [
            .. found
                .GroupBy(j => (Month: CloudBudgets.MonthStart(j.CreatedAt), j.Owner, Model: ModelName(j.CloudProvider, j.Checkpoint)))
                .Select(g => new CloudUsageRow(g.Key.Month, g.Key.Owner, names.GetValueOrDefault(g.Key.Owner) ?? "(deleted account)", g.Key.Model,
                    g.Count(), g.Sum(j => j.Images), g.Sum(j => j.Cost)))
                .OrderByDescending(r => r.Month).ThenBy(r => r.Person, StringComparer.CurrentCultureIgnoreCase).ThenBy(r => r.Model, StringComparer.Ordinal),
        ];
    }

    /// <summary>A cloud model as the pickers name it ("OpenAI: gpt-image-1"); the model column as it is for anything else.</summary>
    private static string ModelName(string? provider, string model) =>
        CloudCatalog.TryParse(provider, out var id) ? $"{CloudCatalog.NameOf(id)}: {CloudCatalog.Find(id, model)?.Name ?? model}" : model;

    /// <summary>The column names of the CSV export, in order.</summary>
    public static readonly IReadOnlyList<string> CsvColumns = ["month", "person", "model", "jobs", "images", "cost_usd"];

    /// <summary>The rows as CSV (RFC 4180: comma, CRLF, quotes doubled), with a header line.</summary>
    public static string ToCsv(IEnumerable<CloudUsageRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var csv = new StringBuilder().AppendJoin(',', CsvColumns).Append("\r\n");
        foreach (var row in rows)
        {
            csv.AppendJoin(',',
                row.Month.ToString("yyyy-MM", CultureInfo.InvariantCulture),
                Csv.Field(row.Person),
                Csv.Field(row.Model),
                row.Jobs.ToString(CultureInfo.InvariantCulture),
                row.Images.ToString(CultureInfo.InvariantCulture),
                row.Usd.ToString("0.00##", CultureInfo.InvariantCulture)).Append("\r\n");
        }
        return csv.ToString();
    }
}
