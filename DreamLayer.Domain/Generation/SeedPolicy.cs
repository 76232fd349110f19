namespace DreamLayer.Domain.Generation;

/// <summary>
/// The app chooses seeds (ComfyUI ignores <c>control_after_generate</c> in API format). Fixed seeds keep
/// the whole unsigned 64-bit range exactly; random seeds are drawn below 2^53 so they survive any
/// JSON reader that converts numbers to doubles (browsers, A1111 tools).
/// </summary>
public static class SeedPolicy
{
    public const ulong MaxRandomSeed = (1UL << 53) - 1;

    /// <summary>The seeds for <paramref name="count"/> runs. Fixed seeds step by one and wrap at 2^64.</summary>
    public static IReadOnlyList<ulong> Resolve(SeedMode mode, ulong? seed, ulong? lastSeed, int count, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentNullException.ThrowIfNull(random);
        ulong? start = mode switch
        {
            SeedMode.Fixed => seed ?? throw new ArgumentException("A fixed seed needs a value.", nameof(seed)),
            SeedMode.ReuseLast => lastSeed,
            _ => null,
        };
        var seeds = new ulong[count];
        for (var i = 0; i < count; i++)
        {
            seeds[i] = start is { } s ? unchecked(s + (ulong)i) : NextRandom(random);
        }
        return seeds;
    }

    public static ulong NextRandom(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return (ulong)random.NextInt64(0, (long)MaxRandomSeed + 1);
    }
}
