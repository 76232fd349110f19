using DreamLayer.Domain.Jobs;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DreamLayer.Web.Data;

/// <summary>Jobs, images, settings and the Identity tables (users, roles) in one SQLite database.</summary>
public sealed class DreamLayerDbContext(DbContextOptions<DreamLayerDbContext> options) : IdentityDbContext<DreamLayerUser>(options)
{
    public DbSet<JobEntity> Jobs => Set<JobEntity>();
    public DbSet<ImageEntity> Images => Set<ImageEntity>();
    public DbSet<SettingEntity> Settings => Set<SettingEntity>();
    public DbSet<ImageLora> ImageLoras => Set<ImageLora>();
    public DbSet<ImageFavourite> Favourites => Set<ImageFavourite>();
    public DbSet<BoardEntity> Boards => Set<BoardEntity>();
    public DbSet<BoardImage> BoardImages => Set<BoardImage>();
    public DbSet<BackendEntity> Backends => Set<BackendEntity>();
    public DbSet<SavedWorkflowEntity> Workflows => Set<SavedWorkflowEntity>();
    public DbSet<PresetEntity> Presets => Set<PresetEntity>();
    public DbSet<ModelEntity> Models => Set<ModelEntity>();
    public DbSet<ApiTokenEntity> ApiTokens => Set<ApiTokenEntity>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(DreamLayerDbContext).Assembly);
    }
}

internal sealed class JobEntityConfiguration : IEntityTypeConfiguration<JobEntity>
{
    public void Configure(EntityTypeBuilder<JobEntity> builder)
    {
        builder.HasKey(j => j.Id);
        builder.Property(j => j.Status).HasConversion<string>().HasMaxLength(16);
        // SQLite integers are signed 64-bit; seeds use the full unsigned range, so they are stored as exact text.
        builder.Property(j => j.Seed).HasConversion(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture), v => ulong.Parse(v, System.Globalization.CultureInfo.InvariantCulture));
        builder.HasIndex(j => j.Status);
        builder.HasIndex(j => j.CreatedAt);
        builder.HasIndex(j => j.PromptId);
        builder.HasIndex(j => j.Owner);
        builder.HasMany(j => j.Images).WithOne(i => i.Job).HasForeignKey(i => i.JobId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ImageEntityConfiguration : IEntityTypeConfiguration<ImageEntity>
{
    public void Configure(EntityTypeBuilder<ImageEntity> builder)
    {
        builder.HasKey(i => i.Id);
        builder.HasIndex(i => new { i.JobId, i.Index }).IsUnique();
        builder.HasIndex(i => i.Seq).IsUnique();
        // Every gallery query walks one of these in (CreatedAt, Seq) order and stops after a page.
        builder.HasIndex(i => new { i.CreatedAt, i.Seq });
        builder.HasIndex(i => new { i.OwnerId, i.CreatedAt, i.Seq });
        // Sorted by person: name ascending, newest first within a person (SQLite walks an index only in its own directions).
        builder.HasIndex(i => new { i.OwnerName, i.CreatedAt, i.Seq }).IsDescending(false, true, true);
        builder.HasIndex(i => new { i.Mode, i.CreatedAt, i.Seq });
        builder.HasIndex(i => new { i.Model, i.CreatedAt, i.Seq });
        builder.HasIndex(i => new { i.Sampler, i.CreatedAt, i.Seq });
        builder.Property(i => i.ImportHash).HasMaxLength(64);
        builder.HasIndex(i => i.ImportHash);
        builder.HasIndex(i => new { i.Width, i.Height, i.CreatedAt, i.Seq });
        // The trash is small: a partial index keeps it out of the way of every other query plan.
        builder.HasIndex(i => new { i.CreatedAt, i.Seq }, "IX_Images_Trash").HasFilter("DeletedAt IS NOT NULL");
        builder.HasMany(i => i.Loras).WithOne().HasForeignKey(l => l.ImageId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ImageLoraConfiguration : IEntityTypeConfiguration<ImageLora>
{
    public void Configure(EntityTypeBuilder<ImageLora> builder)
    {
        builder.HasKey(l => new { l.Name, l.ImageId });
        builder.HasIndex(l => l.ImageId);
    }
}

internal sealed class ImageFavouriteConfiguration : IEntityTypeConfiguration<ImageFavourite>
{
    public void Configure(EntityTypeBuilder<ImageFavourite> builder)
    {
        builder.HasKey(f => new { f.UserId, f.ImageId });
        builder.HasIndex(f => f.ImageId);
        builder.HasOne<ImageEntity>().WithMany().HasForeignKey(f => f.ImageId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class BoardConfiguration : IEntityTypeConfiguration<BoardEntity>
{
    public void Configure(EntityTypeBuilder<BoardEntity> builder)
    {
        builder.ToTable("Boards");
        builder.HasKey(b => b.Id);
        builder.Property(b => b.Name).HasMaxLength(BoardEntity.MaxNameLength);
        builder.HasIndex(b => b.OwnerId);
    }
}

internal sealed class BoardImageConfiguration : IEntityTypeConfiguration<BoardImage>
{
    public void Configure(EntityTypeBuilder<BoardImage> builder)
    {
        builder.HasKey(b => new { b.BoardId, b.ImageId });
        builder.HasIndex(b => b.ImageId);
        builder.HasOne<BoardEntity>().WithMany().HasForeignKey(b => b.BoardId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ImageEntity>().WithMany().HasForeignKey(b => b.ImageId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class SettingEntityConfiguration : IEntityTypeConfiguration<SettingEntity>
{
    public void Configure(EntityTypeBuilder<SettingEntity> builder)
    {
        builder.HasKey(s => s.Key);
        builder.Property(s => s.Key).HasMaxLength(64);
    }
}

internal sealed class RoleConfiguration : IEntityTypeConfiguration<Microsoft.AspNetCore.Identity.IdentityRole>
{
    public void Configure(EntityTypeBuilder<Microsoft.AspNetCore.Identity.IdentityRole> builder) => builder.HasData(
        new Microsoft.AspNetCore.Identity.IdentityRole { Id = RoleIds.Admin, Name = "Admin", NormalizedName = "ADMIN", ConcurrencyStamp = RoleIds.Admin },
        new Microsoft.AspNetCore.Identity.IdentityRole { Id = RoleIds.Member, Name = "Member", NormalizedName = "MEMBER", ConcurrencyStamp = RoleIds.Member });
}

internal sealed class DreamLayerUserConfiguration : IEntityTypeConfiguration<DreamLayerUser>
{
    public void Configure(EntityTypeBuilder<DreamLayerUser> builder)
    {
        builder.Property(u => u.DisplayName).HasMaxLength(64);
        builder.Property(u => u.Theme).HasMaxLength(8);
        builder.Property(u => u.DefaultCheckpoint).HasMaxLength(DreamLayerUser.MaxDefaultCheckpointLength);
    }
}

/// <summary>Lets <c>dotnet ef</c> build the model without starting the app.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<DreamLayerDbContext>
{
    public DreamLayerDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<DreamLayerDbContext>().UseSqlite("Data Source=design.db").Options);
}
