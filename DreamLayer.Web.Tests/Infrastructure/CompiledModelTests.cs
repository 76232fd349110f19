using DreamLayer.Web.Data;
using DreamLayer.Web.Data.CompiledModel;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace DreamLayer.Web.Tests.Infrastructure;

/// <summary>
/// The app runs on the compiled EF Core model in Data/CompiledModel (building the model by convention at every start
/// costs memory and time). It must match what <see cref="DreamLayerDbContext"/> describes: after changing an entity,
/// run <c>dotnet ef dbcontext optimize --project DreamLayer.Web --output-dir Data/CompiledModel --namespace DreamLayer.Web.Data.CompiledModel</c>.
/// </summary>
public sealed class CompiledModelTests : IDisposable
{
    private const string Regenerate = "The compiled model in DreamLayer.Web/Data/CompiledModel is out of date: run "
        + "`dotnet ef dbcontext optimize --project DreamLayer.Web --output-dir Data/CompiledModel --namespace DreamLayer.Web.Data.CompiledModel`.";

    private readonly string _path = Path.Combine(Path.GetTempPath(), "dreamlayer-model-" + Guid.NewGuid().ToString("N") + ".db");
    private readonly DreamLayerDbContext _db;

    public CompiledModelTests() =>
        _db = new DreamLayerDbContext(new DbContextOptionsBuilder<DreamLayerDbContext>().UseSqlite($"Data Source={_path};Pooling=False").Options);

    [Fact]
    public void The_app_runs_on_the_compiled_model()
    {
        Assert.Same(DreamLayerDbContextModel.Instance, _db.Model);
    }

    [Fact]
    public void The_compiled_model_has_the_same_tables_columns_keys_and_indexes_as_the_context()
    {
        static IEnumerable<string> Tables(IModel model) => model.GetRelationalModel().Tables
            .SelectMany(t => t.Columns.Select(c => $"{t.Name}.{c.Name} {c.StoreType} {(c.IsNullable ? "null" : "not null")}")
                .Concat(t.Indexes.Select(i => $"{t.Name} index {i.Name} ({string.Join(",", i.Columns.Select(c => c.Name))}){(i.IsUnique ? " unique" : "")}"))
                .Concat(t.ForeignKeyConstraints.Select(f => $"{t.Name} fk {f.Name} -> {f.PrincipalTable.Name} {f.OnDeleteAction}"))
                .Concat(t.PrimaryKey is { } pk ? [$"{t.Name} pk ({string.Join(",", pk.Columns.Select(c => c.Name))})"] : []))
            .Order(StringComparer.Ordinal);

        var described = Tables(_db.GetService<IDesignTimeModel>().Model).ToList();
        var compiled = Tables(_db.Model).ToList();

        Assert.True(described.SequenceEqual(compiled), Regenerate + " Only in the context: " + string.Join("; ", described.Except(compiled))
            + ". Only in the compiled model: " + string.Join("; ", compiled.Except(described)) + ".");
    }

    [Fact]
    public void The_compiled_model_has_the_same_entities_and_properties_with_the_same_types()
    {
        static IEnumerable<string> Shape(IModel model) => model.GetEntityTypes()
            .SelectMany(e => e.GetProperties().Select(p => $"{e.Name}.{p.Name}: {p.ClrType} {p.GetTypeMapping().Converter?.GetType().Name}")
                .Concat(e.GetNavigations().Select(n => $"{e.Name}.{n.Name} -> {n.TargetEntityType.Name}")))
            .Order(StringComparer.Ordinal);

        Assert.True(Shape(_db.GetService<IDesignTimeModel>().Model).SequenceEqual(Shape(_db.Model)), Regenerate);
    }

    public void Dispose()
    {
        _db.Dispose();
        File.Delete(_path);
    }
}
