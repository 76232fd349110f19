using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using DreamLayer.Web.Jobs;

namespace DreamLayer.Web.Tests.Jobs;

/// <summary>
/// The start-up compilation reaches the generic code a job instantiates, which compiling the job's own methods does
/// not: the closed generic methods a body calls, and the async machinery of an async method.
/// </summary>
public sealed class JobPathCompilerTests
{
    [Fact]
    public void The_closed_generic_methods_a_body_calls_are_found()
    {
        var method = typeof(JobPathCompilerTests).GetMethod(nameof(DistinctIds), BindingFlags.NonPublic | BindingFlags.Static)!;

        var callees = JobPathCompiler.GenericCallees(method).ToList();

        Assert.Contains(callees, m => m is MethodInfo { Name: "Distinct", IsGenericMethod: true } d && d.GetGenericArguments().SequenceEqual([typeof(Guid)]));
        Assert.Contains(callees, m => m is MethodInfo { Name: "ToList" } l && l.GetGenericArguments().SequenceEqual([typeof(Guid)]));
        Assert.Contains(callees, m => m is ConstructorInfo && m.DeclaringType == typeof(ConcurrentDictionary<Guid, long>));
        Assert.DoesNotContain(callees, m => m.ContainsGenericParameters);
    }

    [Fact]
    public void An_async_methods_builder_calls_and_box_are_found()
    {
        var stateMachine = typeof(JobPathCompilerTests).GetMethod(nameof(WaitAndCountAsync), BindingFlags.NonPublic | BindingFlags.Static)!
            .GetCustomAttribute<AsyncStateMachineAttribute>()!.StateMachineType;

        var machinery = JobPathCompiler.AsyncMachinery(stateMachine).ToList();

        Assert.Contains(machinery, m => m is MethodInfo { Name: "Start" } s && s.GetGenericArguments().Contains(stateMachine));
        Assert.Contains(machinery, m => m is MethodInfo { Name: "AwaitUnsafeOnCompleted" } a && a.GetGenericArguments().SequenceEqual([typeof(TaskAwaiter), stateMachine]));
        Assert.Contains(machinery, m => m.Name == "MoveNext" && m.DeclaringType is { Name: "AsyncStateMachineBox`1" } box && box.GetGenericArguments().Contains(stateMachine));
    }

    private static List<Guid> DistinctIds(IEnumerable<Guid> ids, ConcurrentDictionary<Guid, long>? seen)
    {
        seen ??= new ConcurrentDictionary<Guid, long>();
        return ids.Distinct().Where(id => seen.TryAdd(id, 0)).ToList();
    }

    private static async Task<int> WaitAndCountAsync(int n)
    {
        await Task.Delay(1);
        return n + 1;
    }
}
