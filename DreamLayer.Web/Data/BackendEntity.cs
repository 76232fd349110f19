using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DreamLayer.Web.Data;

/// <summary>
/// A ComfyUI server an admin added or changed on the Backends page. A row named like a server in
/// <c>appsettings.json</c> overrides that server's address, limit and switch.
/// </summary>
public sealed class BackendEntity
{
    public int Id { get; set; }
    public string Name { get; set; } = string.Empty;
    public string Url { get; set; } = string.Empty;
    public int MaxJobsInFlight { get; set; }
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Where the app reaches this server's ComfyUI <c>models</c> folder (the same machine, or a share the GPU box
    /// reads); null falls back to <c>ComfyUi:ModelsDirectory</c>.
    /// </summary>
    public string? ModelsDirectory { get; set; }

    public DateTime UpdatedAt { get; set; }
}

internal sealed class BackendEntityConfiguration : IEntityTypeConfiguration<BackendEntity>
{
    public void Configure(EntityTypeBuilder<BackendEntity> builder)
    {
        builder.HasKey(b => b.Id);
        builder.Property(b => b.Name).HasMaxLength(64);
        builder.Property(b => b.Url).HasMaxLength(512);
        builder.Property(b => b.ModelsDirectory).HasMaxLength(1024);
        builder.HasIndex(b => b.Name).IsUnique();
    }
}
