using System.Security.Cryptography;
using System.Text.Json;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

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
/// a thumbnail and a row with whatever generation parameters it carries (read by <see cref="ImageMetadataReader"/>:
/// A1111, Forge, ComfyUI, SwarmUI, InvokeAI, Fooocus, NovelAI or DreamLayer). A file already imported (same SHA-256) is skipped, so
/// importing a folder again adds only what is new. Anything else is skipped and counted by reason. The source folder
/// is only read.
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
        // Checked by its structure (ImageHeaders), never by ImageSharp's header reader, which inflates text chunks without a limit.
        var read = ImageHeaders.Read(bytes);
        if (read.Header is not { } image)
        {
            return (null, read.NotAnImage ? "not an image" : "damaged image");
        }
        var extension = image.Format switch
        {
            ImageContainer.Png => ".png",
            ImageContainer.Jpeg => ".jpg",
            ImageContainer.WebP => ".webp",
            _ => string.Empty,
        };
        if (extension.Length == 0)
        {
            return (null, "image format not kept in the gallery (PNG, JPEG and WebP are)");
        }
        if (image.Pixels > limits.MaxImagePixels)
        {
            return (null, $"more than {limits.MaxImagePixels:N0} pixels");
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (await db.Images.AnyAsync(i => i.ImportHash == hash, ct))
            {
                return (null, "already imported (the same file is in the gallery or its trash)");
            }
        }

        // Whatever tool wrote it: A1111/Forge (stealth PNG info too), ComfyUI, SwarmUI, InvokeAI, Fooocus, NovelAI or DreamLayer.
        var metadata = ImageMetadataReader.Read(bytes);
        var job = JobFor(admin, metadata.Generation, image.Width, image.Height, info.LastWriteTimeUtc);
        var row = await store.ImportAsync(job, bytes, extension, image.Width, image.Height, Infotext(metadata, job), job.CreatedAt, ct);
        row.OwnerName = admin.DisplayName;
        row.ImportHash = hash;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.Jobs.Add(job);
            db.Images.Add(row);
            await db.SaveChangesAsync(ct);
        }
        await store.WriteThumbnailAsync(row.Id, bytes, ct);
        return (row.Id, null);
    }

    /// <summary>
    /// The infotext shown and copied for the image: an A1111, Forge or DreamLayer file's own <c>parameters</c> text;
    /// for other tools, the same parameters written the A1111 way (LoRAs as prompt tags, no <c>Version</c>).
    /// </summary>
    private static string Infotext(ImageMetadata read, JobEntity job)
    {
        if (read.Generation is not { } metadata)
        {
            return string.Empty;
        }
        if (metadata.Tool is MetadataTool.A1111 or MetadataTool.Forge or MetadataTool.DreamLayer
            && read.Texts.FirstOrDefault(t => t.Key is "parameters" or "UserComment" or "Comment")?.Text is { Length: > 0 } own)
        {
            return own;
        }
        if (metadata.Steps is null)
        {
            return metadata.Prompt ?? string.Empty;
        }
        var request = job.ReadRequest();
        return A1111Infotext.Write(new InfotextParameters(
            RequestInfotext.PromptWithLoras(job.Prompt, request.Loras), job.NegativePrompt, job.Steps, job.Sampler, job.Scheduler, job.Cfg, job.Seed,
            request.Width, request.Height, metadata.Model is { Length: > 0 } model ? A1111Infotext.ModelName(model) : null,
            ModelHash: metadata.ModelHash, Denoise: metadata.Denoise, Version: null));
    }

    /// <summary>A finished job standing for the imported image, so its details, search and "reuse" work like any other.</summary>
    private static JobEntity JobFor(SignedInUser admin, GenerationMetadata? metadata, int width, int height, DateTime fileTime)
    {
        var promptTags = PromptLoras.Parse(metadata?.Prompt ?? string.Empty).Loras;
        var request = new GenerationRequest
        {
            Prompt = metadata?.Prompt ?? string.Empty,
            NegativePrompt = metadata?.NegativePrompt ?? string.Empty,
            Checkpoint = metadata?.Model ?? string.Empty,
            Sampler = metadata?.Sampler ?? "euler",
            Scheduler = metadata?.Scheduler ?? "normal",
            Steps = metadata?.Steps ?? 20,
            Cfg = metadata?.Cfg ?? 7,
            Width = metadata?.Width ?? width,
            Height = metadata?.Height ?? height,
            SeedMode = SeedMode.Fixed,
            Seed = metadata?.Seed ?? 0,
            // LoRAs the prompt does not name as tags (a ComfyUI graph, InvokeAI, SwarmUI) are kept as picker LoRAs.
            Loras = metadata is null ? [] : [.. metadata.Loras
                .Where(l => !promptTags.Any(t => string.Equals(t.Name, l.Name, StringComparison.OrdinalIgnoreCase)))
                .Select(l => new LoraSetting(l.Name, l.Weight ?? 1.0, l.ClipWeight ?? l.Weight ?? 1.0))],
        };
        if (metadata?.Denoise is { } denoise and < 1)
        {
            request = request with { Denoise = denoise };
        }
        var created = fileTime.Kind == DateTimeKind.Utc ? fileTime : DateTime.SpecifyKind(fileTime, DateTimeKind.Utc);
        return new JobEntity
        {
            Id = Guid.NewGuid(),
            BatchId = Guid.NewGuid(),
            Owner = admin.Id,
            Mode = ImportMode,
            Status = JobStatus.Succeeded,
            StatusMessage = metadata is null ? "Imported from a folder; it carries no generation data." : $"Imported from a folder; parameters written by {metadata.ToolLabel}.",
            RequestJson = JsonSerializer.Serialize(request, StoredRequest.Json),
            Prompt = request.Prompt,
            NegativePrompt = request.NegativePrompt,
            Checkpoint = request.Checkpoint,
            Sampler = metadata?.Sampler ?? string.Empty,
            Scheduler = metadata?.Scheduler ?? string.Empty,
            Steps = request.Steps,
            Cfg = request.Cfg,
            Width = request.Width,
            Height = request.Height,
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
