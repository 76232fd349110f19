using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Tests.Infrastructure;

/// <summary>A new, unpooled context on the given options each time: a test's own database without the app's host.</summary>
public sealed class TestContextFactory(DbContextOptions<DreamLayerDbContext> options) : IDbContextFactory<DreamLayerDbContext>
{
    public DreamLayerDbContext CreateDbContext() => new(options);
}
