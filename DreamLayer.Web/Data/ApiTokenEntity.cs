using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DreamLayer.Web.Data;

/// <summary>
/// A personal API token: only the SHA-256 of the token is stored (the token itself is shown once, when made). It acts
/// as its owner; deleting the owner deletes it.
/// </summary>
public sealed class ApiTokenEntity
{
    public const int MaxNameLength = 64;

    public Guid Id { get; set; }

    public string OwnerId { get; set; } = string.Empty;

    /// <summary>What the person called it ("laptop script").</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The SHA-256 of the whole token text, as 64 lower-case hex digits.</summary>
    public string Hash { get; set; } = string.Empty;

    /// <summary>The token's first characters ("dl_AbCd"), so a person can tell their tokens apart.</summary>
    public string Hint { get; set; } = string.Empty;

    public DateTime CreatedAt { get; set; }

    /// <summary>After this the token is refused; null means it does not expire.</summary>
    public DateTime? ExpiresAt { get; set; }

    /// <summary>When it was last used, written at most once a minute.</summary>
    public DateTime? LastUsedAt { get; set; }
}

internal sealed class ApiTokenEntityConfiguration : IEntityTypeConfiguration<ApiTokenEntity>
{
    public void Configure(EntityTypeBuilder<ApiTokenEntity> builder)
    {
        builder.ToTable("ApiTokens");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Name).HasMaxLength(ApiTokenEntity.MaxNameLength);
        builder.Property(t => t.Hash).HasMaxLength(64);
        builder.Property(t => t.Hint).HasMaxLength(16);
        builder.HasIndex(t => t.Hash).IsUnique();
        builder.HasIndex(t => t.OwnerId);
        builder.HasOne<DreamLayerUser>().WithMany().HasForeignKey(t => t.OwnerId).OnDelete(DeleteBehavior.Cascade);
    }
}
