using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DreamLayer.Web.Tests.Architecture;

/// <summary>
/// Program.cs is a table of contents: each area registers its own services in its own <c>AddXxx</c>. Every
/// <c>AddXxx(this IHostApplicationBuilder)</c> of the app is run on an empty builder, and each service it adds must be
/// one of its own area's types (the namespace of the class that declares the <c>AddXxx</c>, or one below it).
/// </summary>
public sealed class RegistrationTests : IDisposable
{
    private readonly string _contentRoot = Directory.CreateTempSubdirectory("dreamlayer-registrations-").FullName;

    [Fact]
    public void EveryAddMethod_RegistersOnlyItsOwnAreasTypes()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development, ContentRootPath = _contentRoot });
        var misplaced = new List<string>();
        var adds = AddMethods();
        foreach (var add in adds)
        {
            var before = builder.Services.Count;
            add.Invoke(null, [builder]);
            var area = add.DeclaringType!.Namespace!;
            foreach (var type in builder.Services.Skip(before).SelectMany(RegisteredTypes).Distinct())
            {
                if (type.Assembly == typeof(Program).Assembly && type.Namespace != area && type.Namespace?.StartsWith(area + ".", StringComparison.Ordinal) != true)
                {
                    misplaced.Add($"{add.DeclaringType.Name}.{add.Name} ({area}) registers {type.FullName}");
                }
            }
        }

        Assert.True(adds.Count >= 10, $"Found only {adds.Count} AddXxx methods; the search for them is broken.");
        Assert.True(misplaced.Count == 0, "Registered outside their area:\n" + string.Join('\n', misplaced));
    }

    /// <summary>Every public <c>static IHostApplicationBuilder AddXxx(this IHostApplicationBuilder)</c> of the app.</summary>
    private static List<MethodInfo> AddMethods() =>
        [.. typeof(Program).Assembly.GetTypes()
            .Where(t => t.IsAbstract && t.IsSealed && t.IsPublic)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.Name.StartsWith("Add", StringComparison.Ordinal) && m.ReturnType == typeof(IHostApplicationBuilder)
                && m.GetParameters() is [{ ParameterType: var p }] && p == typeof(IHostApplicationBuilder))
            .OrderBy(m => m.DeclaringType!.FullName, StringComparer.Ordinal)];

    /// <summary>
    /// What implements a service: a type, an instance's type, or what a factory returns (an interface declared in one
    /// area may be implemented in another: the implementation is what an area registers).
    /// </summary>
    private static IEnumerable<Type> RegisteredTypes(ServiceDescriptor descriptor)
    {
        var implementation = descriptor.IsKeyedService
            ? descriptor.KeyedImplementationType ?? descriptor.KeyedImplementationInstance?.GetType() ?? descriptor.KeyedImplementationFactory?.Method.ReturnType
            : descriptor.ImplementationType ?? descriptor.ImplementationInstance?.GetType() ?? descriptor.ImplementationFactory?.Method.ReturnType;
        yield return implementation ?? descriptor.ServiceType;
    }

    public void Dispose() => Directory.Delete(_contentRoot, recursive: true);
}
