using DreamLayer.Domain.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DreamLayer.Web.Data;

public sealed class DreamLayerDbContext(DbContextOptions<DreamLayerDbContext> options) : DbContext(options)
{
    public DbSet<JobEntity> Jobs => Set<JobEntity>();
    public DbSet<ImageEntity> Images => Set<ImageEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(DreamLayerDbContext).Assembly);
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
        builder.HasMany(j => j.Images).WithOne(i => i.Job).HasForeignKey(i => i.JobId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ImageEntityConfiguration : IEntityTypeConfiguration<ImageEntity>
{
    public void Configure(EntityTypeBuilder<ImageEntity> builder)
    {
        builder.HasKey(i => i.Id);
        builder.HasIndex(i => i.CreatedAt);
        builder.HasIndex(i => new { i.JobId, i.Index }).IsUnique();
    }
}

/// <summary>Lets <c>dotnet ef</c> build the model without starting the app.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<DreamLayerDbContext>
{
    public DreamLayerDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<DreamLayerDbContext>().UseSqlite("Data Source=design.db").Options);
}
