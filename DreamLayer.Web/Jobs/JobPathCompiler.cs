using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using DreamLayer.Domain.Workflows;

namespace DreamLayer.Web.Jobs;

/// <summary>
/// Compiles the job pipeline (the domain, the ComfyUI client, jobs, storage, images, metrics) at start-up, before any
/// server is connected; otherwise the first job of the day waits while the JIT compiles several hundred methods.
/// Besides the pipeline's own methods that means the generic code they instantiate, which compiling a method does
/// not compile: the async machinery of each async method, and the closed generic methods they call (LINQ over
/// <see cref="Guid"/>, concurrent dictionaries, JSON converters…), followed a few calls deep. Best effort throughout:
/// anything the runtime will not compile ahead is compiled on first call, as without this.
/// </summary>
internal static class JobPathCompiler
{
    private static readonly string[] Namespaces = ["DreamLayer.Web.Jobs", "DreamLayer.Web.Comfy", "DreamLayer.Web.Images", "DreamLayer.Web.Data", "DreamLayer.Web.Operations"];

    /// <summary>How many calls deep generic callees are followed, and how many methods at most are compiled that way.</summary>
    private const int CalleeDepth = 3;
    private const int CalleeBudget = 6000;

    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

    private static int _compiled;

    /// <summary>Compiles the pipeline and runs its static constructors, once per process (compiled code is the process's).</summary>
    public static void Compile()
    {
        if (Interlocked.Exchange(ref _compiled, 1) == 1)
        {
            return;
        }
        var types = typeof(WorkflowBuilder).Assembly.GetTypes()
            .Concat(typeof(JobPathCompiler).Assembly.GetTypes().Where(t => t.Namespace is { } ns && Namespaces.Contains(ns, StringComparer.Ordinal)))
            .Where(t => !t.ContainsGenericParameters)
            .ToList();
        var roots = new List<MethodBase>();
        foreach (var type in types)
        {
            roots.AddRange(Safely(() => DeclaredCode(type)));
            if (typeof(IAsyncStateMachine).IsAssignableFrom(type))
            {
                roots.AddRange(Safely(() => AsyncMachinery(type)));
            }
        }

        var prepared = new HashSet<MethodBase>(roots);
        var level = roots;
        for (var depth = 0; depth <= CalleeDepth && level.Count > 0; depth++)
        {
            var next = new List<MethodBase>();
            foreach (var method in level)
            {
                Prepare(method);
                if (depth < CalleeDepth)
                {
                    next.AddRange(Safely(() => GenericCallees(method)).Where(callee => prepared.Count < roots.Count + CalleeBudget && prepared.Add(callee)));
                }
            }
            level = next;
        }
        foreach (var type in types.Where(t => t.TypeInitializer is not null))
        {
            BestEffort(() => RuntimeHelpers.RunClassConstructor(type.TypeHandle));
        }
    }

    private static IEnumerable<MethodBase> DeclaredCode(Type type) =>
        type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared & ~BindingFlags.Static))
            .Where(m => !m.IsAbstract && !m.ContainsGenericParameters && (m.MethodImplementationFlags & MethodImplAttributes.InternalCall) == 0);

    /// <summary>
    /// What an async method's state machine instantiates in the runtime: its builder's <c>Start</c>,
    /// <c>AwaitUnsafeOnCompleted</c> for each kind of awaiter it holds, and the box that carries it across awaits.
    /// </summary>
    internal static IEnumerable<MethodBase> AsyncMachinery(Type stateMachine)
    {
        var fields = stateMachine.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        if (fields.FirstOrDefault(f => f.Name == "<>t__builder")?.FieldType is not { } builder)
        {
            yield break;
        }
        var awaiters = fields.Where(f => f.Name.StartsWith("<>u__", StringComparison.Ordinal) && f.FieldType != typeof(object)).Select(f => f.FieldType).Distinct().ToList();
        // The Task and ValueTask builders do their work in AsyncTaskMethodBuilder<TResult> (VoidTaskResult for no result).
        var builders = new List<Type> { builder };
        if (builder.Name.StartsWith("Async", StringComparison.Ordinal)
            && (builder.IsGenericType ? builder.GetGenericArguments()[0] : typeof(object).Assembly.GetType("System.Threading.Tasks.VoidTaskResult")) is { } result)
        {
            builders.Add(typeof(AsyncTaskMethodBuilder<>).MakeGenericType(result));
        }
        foreach (var type in builders.Distinct())
        {
            foreach (var method in type.GetMethods(Declared).Where(m => m.IsGenericMethodDefinition))
            {
                var instantiations = method.GetGenericArguments().Select(a => a.Name).ToArray() switch
                {
                    ["TStateMachine"] => [[stateMachine]],
                    ["TAwaiter", "TStateMachine"] => awaiters.Select(awaiter => new[] { awaiter, stateMachine }),
                    _ => [],
                };
                foreach (var arguments in instantiations)
                {
                    if (Instantiate(method, arguments) is { } instantiated)
                    {
                        yield return instantiated;
                    }
                }
            }
            // The box that carries the state machine across awaits (PoolingAsyncValueTaskMethodBuilder has its own).
            if (type.IsGenericType && type.GetGenericTypeDefinition().GetNestedTypes(BindingFlags.NonPublic).FirstOrDefault(t => t.Name is "AsyncStateMachineBox`1" or "StateMachineBox`1") is { } box)
            {
                var closed = box.MakeGenericType([.. type.GetGenericArguments(), stateMachine]);
                BestEffort(() => RuntimeHelpers.RunClassConstructor(closed.TypeHandle));
                foreach (var method in DeclaredCode(closed))
                {
                    yield return method;
                }
            }
        }
        if (typeof(object).Assembly.GetType("System.Runtime.CompilerServices.AsyncMethodBuilderCore")?.GetMethod("Start") is { IsGenericMethodDefinition: true } start
            && Instantiate(start, [stateMachine]) is { } started)
        {
            yield return started;
        }
    }

    /// <summary>
    /// The closed generic methods and constructors a method's body calls, creates or takes the address of (read from its
    /// IL). Non-generic framework code is precompiled in the framework's own images; generic code over our types and
    /// value types is not.
    /// </summary>
    internal static IEnumerable<MethodBase> GenericCallees(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (InvalidOperationException)
        {
            il = null;
        }
        if (il is null)
        {
            yield break;
        }
        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            if (Read(il, ref at) is not { } opCode)
            {
                yield break; // not an instruction: stop reading rather than guess
            }
            if (opCode.OperandType == OperandType.InlineMethod && at + 4 <= il.Length
                && Resolve(method.Module, BitConverter.ToInt32(il, at), typeArguments, methodArguments) is { } callee
                && (callee.IsGenericMethod || callee.DeclaringType is { IsGenericType: true })
                && !callee.ContainsGenericParameters && callee.DeclaringType is { ContainsGenericParameters: false }
                && !callee.IsAbstract)
            {
                yield return callee;
            }
            at += OperandSize(opCode, il, at);
        }
    }

    private static readonly OpCode?[] OneByte = new OpCode?[256];
    private static readonly OpCode?[] TwoByte = new OpCode?[256];

#pragma warning disable CA1810 // the tables are filled from OpCodes' fields, which an initializer expression cannot do as plainly
    static JobPathCompiler()
#pragma warning restore CA1810
    {
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            if (field.GetValue(null) is OpCode code)
            {
                var value = (ushort)code.Value;
                if (code.Size == 1)
                {
                    OneByte[value] = code;
                }
                else
                {
                    TwoByte[value & 0xFF] = code;
                }
            }
        }
    }

    private static OpCode? Read(byte[] il, ref int at)
    {
        var first = il[at++];
        if (first != 0xFE)
        {
            return OneByte[first];
        }
        return at < il.Length ? TwoByte[il[at++]] : null;
    }

    private static int OperandSize(OpCode code, byte[] il, int at) => code.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch when at + 4 <= il.Length => 4 + (4 * BitConverter.ToInt32(il, at)),
        _ => 4,
    };

    private static MethodBase? Resolve(Module module, int token, Type[]? typeArguments, Type[]? methodArguments)
    {
        try
        {
            return module.ResolveMethod(token, typeArguments, methodArguments);
        }
        catch (Exception ex) when (ex is ArgumentException or BadImageFormatException or TypeLoadException or MissingMethodException or FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Null where the arguments break the method's constraints (an awaiter the builder does not take, say).</summary>
    private static MethodInfo? Instantiate(MethodInfo method, Type[] arguments)
    {
        try
        {
            return method.MakeGenericMethod(arguments);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static void Prepare(MethodBase method) => BestEffort(() =>
    {
        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : [];
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : [];
        RuntimeHelpers.PrepareMethod(method.MethodHandle, [.. typeArguments.Concat(methodArguments).Select(t => t.TypeHandle)]);
    });

    /// <summary>What reflection could list; nothing where it could not (this is an optimisation: it must never stop the app starting).</summary>
    private static List<MethodBase> Safely(Func<IEnumerable<MethodBase>> list)
    {
        try
        {
            return [.. list()];
        }
#pragma warning disable CA1031 // see above
        catch (Exception)
#pragma warning restore CA1031
        {
            return [];
        }
    }

    private static void BestEffort(Action action)
    {
        try
        {
            action();
        }
#pragma warning disable CA1031 // best effort: a method the runtime will not compile ahead compiles on first call; a static constructor that fails here fails again there
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
