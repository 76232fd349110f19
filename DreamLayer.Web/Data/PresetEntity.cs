using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DreamLayer.Web.Data;

/// <summary>A person's saved preset: a name and the form fields it sets (<c>PresetValues</c> as JSON), private or shared with the team.</summary>
public sealed class PresetEntity
{
    public Guid Id { get; set; }

    /// <summary>The id of the person who saved it; they (or an admin) may change or delete it.</summary>
    public string OwnerId { get; set; } = string.Empty;
    public string OwnerName { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;

    /// <summary>Seen and applied by the whole team; otherwise only by its owner (and admins).</summary>
    public bool IsShared { get; set; }

    public string ValuesJson { get; set; } = "{}";
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public const int MaxNameLength = 80;
}

internal sealed class PresetEntityConfiguration : IEntityTypeConfiguration<PresetEntity>
{
    public void Configure(EntityTypeBuilder<PresetEntity> builder)
    {
        builder.ToTable("Presets");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Name).HasMaxLength(PresetEntity.MaxNameLength);
        builder.HasIndex(p => p.OwnerId);
        builder.HasIndex(p => p.IsShared);
    }
}
