using System.Reflection;
using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Tests.Architecture;

/// <summary>
/// Pages and components ask their area's services, never the database: no component injects the
/// <see cref="DreamLayerDbContext"/> or its factory, so every query lives in a service beside the rules that guard it.
/// </summary>
public class PagesAskServicesTests
{
    [Fact]
    public void Components_DoNotInjectTheDatabase()
    {
        var database = new[] { typeof(DreamLayerDbContext), typeof(IDbContextFactory<DreamLayerDbContext>) };
        var offending = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IComponent).IsAssignableFrom(t))
            .SelectMany(t => t.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(p => p.IsDefined(typeof(InjectAttribute)) && database.Contains(p.PropertyType))
                .Select(p => $"{t.FullName}.{p.Name}"))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(offending.Count == 0, "These components read the database themselves; move the query into their area's service:\n" + string.Join('\n', offending));
    }
}
