using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DreamLayer.Web.Data;

/// <summary>
/// What an admin says about one model file (a ComfyUI models subfolder and the file's name as the servers list it):
/// how members see it, whether they see it at all, and the settings picking it applies. A model without a row is
/// visible, named by its file and has no defaults.
/// </summary>
public sealed class ModelEntity
{
    public const int MaxTextLength = 200;
    public const int MaxDescriptionLength = 4000;

    public int Id { get; set; }

    /// <summary>ComfyUI's folder key: <c>checkpoints</c>, <c>loras</c>, <c>vae</c>, ...</summary>
    public string Folder { get; set; } = string.Empty;

    /// <summary>The file as ComfyUI lists it, subfolder included (<c>sdxl/juggernaut.safetensors</c>).</summary>
    public string Name { get; set; } = string.Empty;

    public string? DisplayName { get; set; }
    public string? Description { get; set; }

    /// <summary>The family an admin set (a <c>ModelFamily</c> name); null means the inferred one.</summary>
    public string? Family { get; set; }

    /// <summary>The family read from the file's header, kept so the page need not read it again.</summary>
    public string? InferredFamily { get; set; }

    public string? Version { get; set; }
    public string? SourceUrl { get; set; }

    /// <summary>Comma-separated.</summary>
    public string? Tags { get; set; }

    /// <summary>LoRAs: the words that call it up, comma-separated.</summary>
    public string? TriggerWords { get; set; }

    /// <summary>
    /// The model's preview picture: the id of its own small JPEG under <c>&lt;DataDirectory&gt;/model-previews/</c>, copied
    /// from a gallery image or made from an upload when an admin set it (never a gallery image's id).
    /// </summary>
    public Guid? PreviewImageId { get; set; }

    public bool Hidden { get; set; }

    public int? DefaultWidth { get; set; }
    public int? DefaultHeight { get; set; }
    public int? DefaultSteps { get; set; }
    public double? DefaultCfg { get; set; }
    public string? DefaultSampler { get; set; }
    public string? DefaultScheduler { get; set; }
    public int? DefaultClipSkip { get; set; }
    public string? DefaultVae { get; set; }

    /// <summary>LoRAs: the strength the picker starts with.</summary>
    public double? DefaultStrength { get; set; }

    public DateTime UpdatedAt { get; set; }
}

internal sealed class ModelEntityConfiguration : IEntityTypeConfiguration<ModelEntity>
{
    public void Configure(EntityTypeBuilder<ModelEntity> builder)
    {
        builder.ToTable("Models");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Folder).HasMaxLength(64);
        builder.Property(m => m.Name).HasMaxLength(512);
        builder.Property(m => m.DisplayName).HasMaxLength(ModelEntity.MaxTextLength);
        builder.Property(m => m.Description).HasMaxLength(ModelEntity.MaxDescriptionLength);
        builder.Property(m => m.Family).HasMaxLength(32);
        builder.Property(m => m.InferredFamily).HasMaxLength(32);
        builder.Property(m => m.Version).HasMaxLength(ModelEntity.MaxTextLength);
        builder.Property(m => m.SourceUrl).HasMaxLength(1024);
        builder.Property(m => m.Tags).HasMaxLength(1024);
        builder.Property(m => m.TriggerWords).HasMaxLength(1024);
        builder.Property(m => m.DefaultSampler).HasMaxLength(64);
        builder.Property(m => m.DefaultScheduler).HasMaxLength(64);
        builder.Property(m => m.DefaultVae).HasMaxLength(512);
        builder.HasIndex(m => new { m.Folder, m.Name }).IsUnique();
    }
}
