using System.Text.Json;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Tests.Features.Gallery;

/// <summary>
/// A real SQLite database (a temp file, migrated with the app's own migrations, FTS5 and triggers included), an
/// image store on a temp folder, and the gallery services on top. Images are added as rows with a small file each.
/// </summary>
public sealed class GalleryDatabase : IDisposable
{
    public static readonly SignedInUser Alice = new("alice-id", "alice", "alice", IsAdmin: false);
    public static readonly SignedInUser Bob = new("bob-id", "bob", "bob", IsAdmin: false);
    public static readonly SignedInUser Admin = new("admin-id", "admin", "admin", IsAdmin: true);

    private readonly StorageOptions _options;
    private DateTime _clock = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>True while the database stands at an older migration than the app's model (an upgrade test's first half).</summary>
    private bool _olderSchema;

    /// <param name="migration">The migration to stop at (to test an upgrade, see <see cref="MigrateToLatest"/>); null: the latest.</param>
    public GalleryDatabase(string? migration = null)
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "dreamlayer-gallery-" + Guid.NewGuid().ToString("N"));
        _options = new StorageOptions { DataDirectory = DataDirectory };
        Paths = StoragePaths.Resolve(_options, Path.GetTempPath());
        Directory.CreateDirectory(Paths.ImagesDirectory);
        Directory.CreateDirectory(Paths.ThumbnailsDirectory);
        var dbOptions = new DbContextOptionsBuilder<DreamLayerDbContext>()
            .UseSqlite(new SqliteConnectionStringBuilder { DataSource = Paths.DatabasePath, Pooling = false }.ToString()).Options;
        Factory = new TestContextFactory(dbOptions);
        using (var db = Factory.CreateDbContext())
        {
            db.GetService<IMigrator>().Migrate(migration);
        }
        _olderSchema = migration is not null;
        Store = new ImageStore(Paths, Options.Create(_options), new ImageGate(Options.Create(_options)), TimeProvider.System);
        Events = new GalleryEvents();
        Gallery = new GalleryService(Factory, Store, Events, TimeProvider.System);
        Boards = new BoardService(Factory, TimeProvider.System);
    }

    public string DataDirectory { get; }
    public StoragePaths Paths { get; }
    public IDbContextFactory<DreamLayerDbContext> Factory { get; }
    public ImageStore Store { get; }
    public GalleryEvents Events { get; }
    public GalleryService Gallery { get; }
    public BoardService Boards { get; }

    /// <summary>Applies the migrations not applied yet, as the app does at start on an existing database.</summary>
    public void MigrateToLatest()
    {
        using var db = Factory.CreateDbContext();
        db.Database.Migrate();
        _olderSchema = false;
    }

    public FolderImport Importer() => new(Factory, Store, Paths, Options.Create(_options), Events, NullLogger<FolderImport>.Instance);

    /// <summary>Adds one image made by <paramref name="owner"/>; each call is one second later unless <paramref name="at"/> is given.</summary>
    public async Task<ImageEntity> AddAsync(SignedInUser owner, string prompt, string negative = "", string model = "model-a.safetensors",
        string sampler = "euler", bool isPrivate = false, DateTime? at = null, int width = 512, int height = 512, string mode = "Txt2Img")
    {
        var created = at ?? (_clock = _clock.AddSeconds(1));
        if (!_olderSchema)
        {
            return await AddImageAsync(Factory, Store, owner, prompt, created, negative, model, sampler, isPrivate, width, height, mode);
        }
        // The app's model has columns the older schema lacks: the rows are written with the columns the tables have, as that version wrote them.
        var (job, image) = await NewImageAsync(Store, owner, prompt, created, negative, model, sampler, isPrivate, width, height, mode);
        await using var db = await Factory.CreateDbContextAsync();
        await InsertAsOfThisSchemaAsync(db, job);
        await InsertAsOfThisSchemaAsync(db, image);
        return image;
    }

    /// <summary>
    /// Inserts one entity with only the columns its table has now, each value converted and typed as the app's model
    /// stores it (a store-generated column left out while its value is the default, as EF Core leaves it out).
    /// </summary>
    private static async Task InsertAsOfThisSchemaAsync(DreamLayerDbContext db, object entity)
    {
        var type = db.Model.FindEntityType(entity.GetType()) ?? throw new InvalidOperationException($"{entity.GetType().Name} is not in the model.");
        var table = type.GetTableName()!;
        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = $"SELECT name FROM pragma_table_info('{table}')";
        var existing = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                existing.Add(reader.GetString(0));
            }
        }
        command.Parameters.Clear();
        var columns = new List<string>();
        foreach (var property in type.GetProperties())
        {
            var column = property.GetColumnName();
            var value = property.PropertyInfo?.GetValue(entity) ?? property.FieldInfo?.GetValue(entity);
            var isDefault = value is null || (property.ClrType.IsValueType && value.Equals(Activator.CreateInstance(property.ClrType)));
            if (!existing.Contains(column) || (property.ValueGenerated != ValueGenerated.Never && isDefault))
            {
                continue;
            }
            command.Parameters.Add(property.GetRelationalTypeMapping().CreateParameter(command, $"@p{columns.Count}", value, property.IsNullable));
            columns.Add(column);
        }
        command.CommandText = $"INSERT INTO \"{table}\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))})";
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Adds a finished job and its image (a tiny PNG file under the images folder) as if <paramref name="owner"/> had
    /// generated it; the job carries the request, so "reuse parameters" works on it.
    /// </summary>
    public static async Task<ImageEntity> AddImageAsync(IDbContextFactory<DreamLayerDbContext> factory, ImageStore store, SignedInUser owner, string prompt, DateTime created,
        string negative = "", string model = "model-a.safetensors", string sampler = "euler", bool isPrivate = false, int width = 512, int height = 512,
        string mode = "Txt2Img", int steps = 20, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var (job, image) = await NewImageAsync(store, owner, prompt, created, negative, model, sampler, isPrivate, width, height, mode, steps, seed);
        await using var db = await factory.CreateDbContextAsync();
        db.Jobs.Add(job);
        db.Images.Add(image);
        await db.SaveChangesAsync();
        return image;
    }

    /// <summary>Adds many images of <paramref name="owner"/> at once (one transaction), as <see cref="AddImageAsync"/> adds one.</summary>
    public static async Task AddImagesAsync(IDbContextFactory<DreamLayerDbContext> factory, ImageStore store, SignedInUser owner, IEnumerable<(string Prompt, DateTime Created)> images)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(images);
        await using var db = await factory.CreateDbContextAsync();
        foreach (var (prompt, created) in images)
        {
            var (job, image) = await NewImageAsync(store, owner, prompt, created);
            db.Jobs.Add(job);
            db.Images.Add(image);
        }
        await db.SaveChangesAsync();
    }

    private static async Task<(JobEntity Job, ImageEntity Image)> NewImageAsync(ImageStore store, SignedInUser owner, string prompt, DateTime created,
        string negative = "", string model = "model-a.safetensors", string sampler = "euler", bool isPrivate = false, int width = 512, int height = 512,
        string mode = "Txt2Img", int steps = 20, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(owner);
        var request = new GenerationRequest
        {
            Prompt = prompt,
            NegativePrompt = negative,
            Checkpoint = model,
            Sampler = sampler,
            Steps = steps,
            Width = width,
            Height = height,
            SeedMode = SeedMode.Fixed,
            Seed = seed,
        };
        var job = new JobEntity
        {
            Id = Guid.NewGuid(),
            BatchId = Guid.NewGuid(),
            Owner = owner.Id,
            Mode = mode,
            Status = JobStatus.Succeeded,
            RequestJson = JsonSerializer.Serialize(request, StoredRequest.Json),
            Prompt = prompt,
            NegativePrompt = negative,
            Checkpoint = model,
            Sampler = sampler,
            Scheduler = "normal",
            Steps = steps,
            Cfg = 7,
            Width = width,
            Height = height,
            BatchSize = 1,
            Seed = seed,
            CreatedAt = created,
        };
        var image = await store.ImportAsync(job, TinyPng, ".png", width, height, $"{prompt}\nSteps: {steps}, Sampler: Euler, Seed: {seed}", created, CancellationToken.None);
        image.OwnerName = owner.DisplayName;
        image.IsPrivate = isPrivate;
        return (job, image);
    }

    public static byte[] TinyPng { get; } = MakeTinyPng();

    private static byte[] MakeTinyPng()
    {
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(4, 4);
        using var output = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, output);
        return output.ToArray();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A handle still closing; the OS cleans its temp folder.
        }
    }
}
