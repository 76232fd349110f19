using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Images;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Tests.Features.Gallery;

/// <summary>
/// A real SQLite database (a temp file, migrated with the app's own migrations, FTS5 and triggers included), an
/// image store on a temp folder, and the gallery services on top. Images are added as rows with a small file each.
/// </summary>
public sealed class GalleryDatabase : IDisposable
{
    public static readonly Viewer Alice = new("alice-id", "alice", IsAdmin: false);
    public static readonly Viewer Bob = new("bob-id", "bob", IsAdmin: false);
    public static readonly Viewer Admin = new("admin-id", "admin", IsAdmin: true);

    private readonly StorageOptions _options;
    private DateTime _clock = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    public GalleryDatabase()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "dreamlayer-gallery-" + Guid.NewGuid().ToString("N"));
        _options = new StorageOptions { DataDirectory = DataDirectory };
        Paths = StoragePaths.Resolve(_options, Path.GetTempPath());
        Directory.CreateDirectory(Paths.ImagesDirectory);
        Directory.CreateDirectory(Paths.ThumbnailsDirectory);
        var dbOptions = new DbContextOptionsBuilder<DreamLayerDbContext>()
            .UseSqlite(new SqliteConnectionStringBuilder { DataSource = Paths.DatabasePath, Pooling = false }.ToString()).Options;
        Factory = new ContextFactory(dbOptions);
        using (var db = Factory.CreateDbContext())
        {
            db.Database.Migrate();
        }
        Store = new ImageStore(Paths, Options.Create(_options), TimeProvider.System);
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

    public FolderImport Importer() => new(Factory, Store, Paths, Options.Create(_options), Events, NullLogger<FolderImport>.Instance);

    /// <summary>Adds one image made by <paramref name="owner"/>; each call is one second later unless <paramref name="at"/> is given.</summary>
    public async Task<ImageEntity> AddAsync(Viewer owner, string prompt, string negative = "", string model = "model-a.safetensors",
        string sampler = "euler", bool isPrivate = false, DateTime? at = null, int width = 512, int height = 512, string mode = "Txt2Img")
    {
        ArgumentNullException.ThrowIfNull(owner);
        var created = at ?? (_clock = _clock.AddSeconds(1));
        var job = new JobEntity
        {
            Id = Guid.NewGuid(), BatchId = Guid.NewGuid(), Owner = owner.UserId, Mode = mode, Status = JobStatus.Succeeded,
            Prompt = prompt, NegativePrompt = negative, Checkpoint = model, Sampler = sampler, Scheduler = "normal",
            Steps = 20, Cfg = 7, Width = width, Height = height, BatchSize = 1, Seed = 1, CreatedAt = created,
        };
        var image = await Store.ImportAsync(job, TinyPng, ".png", width, height, $"{prompt}\nSteps: 20, Sampler: Euler, Seed: 1", created, CancellationToken.None);
        image.OwnerName = owner.Name;
        image.IsPrivate = isPrivate;
        await using var db = await Factory.CreateDbContextAsync();
        db.Jobs.Add(job);
        db.Images.Add(image);
        await db.SaveChangesAsync();
        return image;
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

    private sealed class ContextFactory(DbContextOptions<DreamLayerDbContext> options) : IDbContextFactory<DreamLayerDbContext>
    {
        public DreamLayerDbContext CreateDbContext() => new(options);
    }
}
