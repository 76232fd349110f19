using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DreamLayer.Web.Data;

/// <summary>An imported ComfyUI workflow in the team's library: its API graph and the fields of its form.</summary>
public sealed class SavedWorkflowEntity
{
    public Guid Id { get; set; }

    /// <summary>The id of the person who saved it; they (or an admin) may edit or delete it.</summary>
    public string Owner { get; set; } = string.Empty;

    /// <summary>What the library shows as its author.</summary>
    public string OwnerName { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
    public string Description { get; set; } = string.Empty;

    /// <summary>The API-format graph as imported.</summary>
    public string GraphJson { get; set; } = "{}";

    /// <summary>The form's fields (<c>WorkflowBinding</c> list) as JSON.</summary>
    public string BindingsJson { get; set; } = "[]";
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 2000;
}

internal sealed class SavedWorkflowEntityConfiguration : IEntityTypeConfiguration<SavedWorkflowEntity>
{
    public void Configure(EntityTypeBuilder<SavedWorkflowEntity> builder)
    {
        builder.ToTable("Workflows");
        builder.HasKey(w => w.Id);
        builder.Property(w => w.Name).HasMaxLength(SavedWorkflowEntity.MaxNameLength);
        builder.Property(w => w.Description).HasMaxLength(SavedWorkflowEntity.MaxDescriptionLength);
        builder.HasIndex(w => w.Name);
        builder.HasIndex(w => w.Owner);
    }
}
