using DreamLayer.Domain.Models;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Models;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace DreamLayer.Web.Tests.Features;

/// <summary>The admins' model settings over a database of its own in memory, for components rendered without the app.</summary>
internal sealed class TestModelSettings : IDisposable
{
    public static SignedInUser Admin { get; } = new("admin-id", "admin", "Admin", IsAdmin: true);

    private readonly SqliteConnection _connection = new("Data Source=:memory:");

    public TestModelSettings()
    {
        _connection.Open();
        var options = new DbContextOptionsBuilder<DreamLayerDbContext>().UseSqlite(_connection).Options;
        using (var db = new DreamLayerDbContext(options))
        {
            db.Database.Migrate();
        }
        Settings = new ModelSettings(new TestContextFactory(options), TimeProvider.System, NullLogger<ModelSettings>.Instance);
    }

    public ModelSettings Settings { get; }

    /// <summary>An admin names a model, sets its family and whether members see it.</summary>
    public async Task SetAsync(ModelKind kind, string name, string? displayName, ModelFamily? family = null, bool hidden = false)
    {
        var edit = new ModelEdit(new ModelKey(kind.Folder, name), displayName, null, family, null, null, null, null, hidden, ModelDefaults.None);
        if (await Settings.SaveAsync(Admin, edit, default) is { } refused)
        {
            throw new InvalidOperationException(refused);
        }
    }

    public void Dispose()
    {
        Settings.Dispose();
        _connection.Dispose();
    }
}
