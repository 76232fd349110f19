namespace DreamLayer.Web.Data;

/// <summary>
/// A saved image file under the images folder, with the columns the gallery filters and sorts on copied from
/// its job (so every gallery query reads one table through one index).
/// </summary>
public sealed class ImageEntity
{
    public Guid Id { get; set; }
    public Guid JobId { get; set; }
    public JobEntity? Job { get; set; }

    /// <summary>Position in the job's latent batch.</summary>
    public int Index { get; set; }

    /// <summary>Path relative to the images folder, always with '/' separators; never taken from user input.</summary>
    public string RelativePath { get; set; } = string.Empty;
    public int Width { get; set; }
    public int Height { get; set; }
    public long SizeBytes { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>
    /// Insertion order, assigned by the database (a trigger) right after the row is inserted: the tie-break of the
    /// gallery's keyset paging and the row id of the full-text index. Null only inside the insert statement.
    /// </summary>
    public long? Seq { get; set; }

    /// <summary>The A1111-style infotext embedded in the file.</summary>
    public string Parameters { get; set; } = string.Empty;

    /// <summary>The account that made (or imported) the image.</summary>
    public string OwnerId { get; set; } = string.Empty;

    /// <summary>The owner's name when the image was saved, for showing and sorting by person.</summary>
    public string OwnerName { get; set; } = string.Empty;
    public string Mode { get; set; } = string.Empty;
    public string Model { get; set; } = string.Empty;
    public string Sampler { get; set; } = string.Empty;
    public string Prompt { get; set; } = string.Empty;
    public string NegativePrompt { get; set; } = string.Empty;

    /// <summary>Only the owner and admins see a private image.</summary>
    public bool IsPrivate { get; set; }

    /// <summary>Set when the image is moved to the trash; the file stays until the trash is emptied.</summary>
    public DateTime? DeletedAt { get; set; }

    /// <summary>For an image imported from a folder: the SHA-256 of the file (hex), so importing it again adds nothing.</summary>
    public string? ImportHash { get; set; }

    public List<ImageLora> Loras { get; set; } = [];

    /// <summary>The cloud provider that made it; null for an image from ComfyUI or an import.</summary>
    public string? CloudProvider { get; set; }

    /// <summary>The prompt as the provider rewrote it (OpenAI's <c>revised_prompt</c>, Ideogram's magic prompt, BFL's upsampling), where it returned one.</summary>
    public string? RevisedPrompt { get; set; }

    /// <summary>The seed the provider reports for this picture, where it reports one.</summary>
    public long? CloudSeed { get; set; }
}

/// <summary>A LoRA an image was made with (one row each, so the LoRA filter is an index lookup).</summary>
public sealed class ImageLora
{
    public Guid ImageId { get; set; }
    public string Name { get; set; } = string.Empty;
}

/// <summary>One person's favourite.</summary>
public sealed class ImageFavourite
{
    public string UserId { get; set; } = string.Empty;
    public Guid ImageId { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A named collection of images, private to its owner or shared with the team.</summary>
public sealed class BoardEntity
{
    public const int MaxNameLength = 80;

    public Guid Id { get; set; }
    public string Name { get; set; } = string.Empty;
    public string OwnerId { get; set; } = string.Empty;
    public string OwnerName { get; set; } = string.Empty;
    public bool IsShared { get; set; }
    public DateTime CreatedAt { get; set; }
}

public sealed class BoardImage
{
    public Guid BoardId { get; set; }
    public Guid ImageId { get; set; }
    public DateTime AddedAt { get; set; }
}
