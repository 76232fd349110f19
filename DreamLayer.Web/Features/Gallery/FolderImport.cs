using System.Globalization;
using System.Text.Json;
using DreamLayer.Web.Accounts;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;

namespace DreamLayer.Web.Features.Gallery;

/// <summary>What an import did: images added, and files skipped grouped by reason (with a few example names).</summary>
public sealed record ImportReport(int Imported, IReadOnlyDictionary<string, int> Skipped, IReadOnlyList<string> Examples)
{
    public int SkippedCount => Skipped.Values.Sum();
}

/// <summary>Why an import could not start.</summary>
public sealed class ImportRefusedException(string message) : Exception(message);

/// <summary>
/// Indexes an existing folder on the server (an admin action): every PNG, JPEG and WebP in it and its subfolders
/// is checked with the same limits as uploads, copied into the images folder as it is (its metadata kept), given
/// a thumbnail and a row with whatever generation parameters it carries (A1111 <c>parameters</c> text). Anything
/// else is skipped and counted by reason. The source folder is only read.
/// </summary>
public sealed class FolderImport(
    IDbContextFactory<DreamLayerDbContext> dbFactory,
    ImageStore store,
    StoragePaths paths,
    IOptions<StorageOptions> options,
    GalleryEvents events,
    ILogger<FolderImport> logger)
{
    public const string ImportMode = "Import";
    private const int MaxExamples = 20;

    public async Task<ImportReport> ImportAsync(SignedInUser admin, string folder, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(admin);
        if (!admin.IsAdmin)
        {
            throw new ImportRefusedException("Only an admin can import a folder.");
        }
        var root = CheckFolder(folder);
        var skipped = new Dictionary<string, int>(StringComparer.Ordinal);
        var examples = new List<string>();
        void Skip(string file, string reason)
        {
            skipped[reason] = skipped.GetValueOrDefault(reason) + 1;
            if (examples.Count < MaxExamples)
            {
                examples.Add($"{Path.GetRelativePath(root, file)}: {reason}");
            }
        }

        var imported = new List<Guid>();
        var enumeration = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System | FileAttributes.ReparsePoint,
        };
        foreach (var file in Directory.EnumerateFiles(root, "*", enumeration))
        {
            ct.ThrowIfCancellationRequested();
            var outcome = await ImportFileAsync(admin, file, ct);
            if (outcome.ImageId is { } id)
            {
                imported.Add(id);
                progress?.Report(imported.Count);
            }
            else
            {
                Skip(file, outcome.Reason!);
            }
        }
        if (imported.Count > 0)
        {
            events.Publish(new GalleryChange(GalleryChangeKind.Added, imported));
        }
        logger.LogInformation("Imported {Count} image(s) from {Folder}; skipped {Skipped}", imported.Count, root, skipped.Values.Sum());
        return new ImportReport(imported.Count, skipped, examples);
    }

    /// <summary>The folder as a full path, or why it cannot be imported.</summary>
    public string CheckFolder(string? folder)
    {
        if (string.IsNullOrWhiteSpace(folder) || !Path.IsPathFullyQualified(folder.Trim()))
        {
            throw new ImportRefusedException("Give the full path of a folder on the server, e.g. /srv/old-outputs.");
        }
        var root = Path.GetFullPath(folder.Trim());
        if (!Directory.Exists(root))
        {
            throw new ImportRefusedException($"There is no folder {root} on the server.");
        }
        var images = Path.GetFullPath(paths.ImagesDirectory);
        if (IsSameOrInside(root, images) || IsSameOrInside(images, root))
        {
            throw new ImportRefusedException("That folder holds (or is inside) DreamLayer's own images folder; choose another.");
        }
        return root;
    }

    private async Task<(Guid? ImageId, string? Reason)> ImportFileAsync(SignedInUser admin, string file, CancellationToken ct)
    {
        var limits = options.Value;
        var info = new FileInfo(file);
        if (info.Length == 0)
        {
            return (null, "empty file");
        }
        if (info.Length > limits.MaxImageBytes)
        {
            return (null, $"larger than {UploadStore.FormatSize(limits.MaxImageBytes)}");
        }
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(file, ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, "could not be read");
        }
        IImageInfo? image;
        string extension;
        try
        {
            image = Image.Identify(bytes, out var format);
            extension = format switch
            {
                PngFormat => ".png",
                JpegFormat => ".jpg",
                WebpFormat => ".webp",
                null => string.Empty,
                _ => "other",
            };
        }
        catch (Exception ex) when (ex is ImageFormatException or InvalidDataException)
        {
            return (null, "damaged image");
        }
        if (image is null || extension.Length == 0)
        {
            return (null, "not an image");
        }
        if (extension == "other")
        {
            return (null, "image format not kept in the gallery (PNG, JPEG and WebP are)");
        }
        if ((long)image.Width * image.Height > limits.MaxImagePixels)
        {
            return (null, $"more than {limits.MaxImagePixels:N0} pixels");
        }

        var parameters = extension == ".png" ? ReadParameters(bytes) : null;
        var job = JobFor(admin, parameters, image.Width, image.Height, info.LastWriteTimeUtc);
        var row = await store.ImportAsync(job, bytes, extension, image.Width, image.Height, parameters ?? string.Empty, job.CreatedAt, ct);
        row.OwnerName = admin.DisplayName;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.Jobs.Add(job);
            db.Images.Add(row);
            await db.SaveChangesAsync(ct);
        }
        await store.WriteThumbnailAsync(row.Id, bytes, ct);
        return (row.Id, null);
    }

    /// <summary>The A1111 <c>parameters</c> text of a PNG, or null; malformed chunks count as none.</summary>
    private static string? ReadParameters(byte[] png)
    {
        try
        {
            return PngTextChunks.Find(png, "parameters") is { Length: > 0 } text ? text : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>A finished job standing for the imported image, so its details, search and "reuse" work like any other.</summary>
    private static JobEntity JobFor(SignedInUser admin, string? parameters, int width, int height, DateTime fileTime)
    {
        var info = parameters is null ? null : A1111Infotext.Read(parameters);
        var (sampler, scheduler) = info?["Sampler"] is { } a1111Sampler ? SamplerNames.FromA1111(a1111Sampler, info["Schedule type"]) : (string.Empty, string.Empty);
        var request = new GenerationRequest
        {
            Prompt = info?.Prompt ?? string.Empty,
            NegativePrompt = info?.NegativePrompt ?? string.Empty,
            Checkpoint = info?["Model"] ?? string.Empty,
            Sampler = sampler.Length > 0 ? sampler : "euler",
            Scheduler = scheduler.Length > 0 ? scheduler : "normal",
            Steps = int.TryParse(info?["Steps"], CultureInfo.InvariantCulture, out var steps) ? steps : 20,
            Cfg = double.TryParse(info?["CFG scale"], CultureInfo.InvariantCulture, out var cfg) ? cfg : 7,
            Width = width,
            Height = height,
            SeedMode = SeedMode.Fixed,
            Seed = ulong.TryParse(info?["Seed"], CultureInfo.InvariantCulture, out var seed) ? seed : 0,
        };
        var created = fileTime.Kind == DateTimeKind.Utc ? fileTime : DateTime.SpecifyKind(fileTime, DateTimeKind.Utc);
        return new JobEntity
        {
            Id = Guid.NewGuid(),
            BatchId = Guid.NewGuid(),
            Owner = admin.Id,
            Mode = ImportMode,
            Status = JobStatus.Succeeded,
            StatusMessage = "Imported from a folder.",
            RequestJson = JsonSerializer.Serialize(request, JobQueue.RequestJson),
            Prompt = request.Prompt,
            NegativePrompt = request.NegativePrompt,
            Checkpoint = request.Checkpoint,
            Sampler = sampler,
            Scheduler = scheduler,
            Steps = request.Steps,
            Cfg = request.Cfg,
            Width = width,
            Height = height,
            BatchSize = 1,
            Seed = request.Seed ?? 0,
            CreatedAt = created,
            FinishedAt = created,
        };
    }

    private static bool IsSameOrInside(string path, string folder)
    {
        var root = folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return string.Equals(path.TrimEnd(Path.DirectorySeparatorChar), folder.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal)
            || path.StartsWith(root, StringComparison.Ordinal);
    }
}
