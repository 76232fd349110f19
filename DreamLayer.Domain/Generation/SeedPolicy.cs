namespace DreamLayer.Domain.Generation;

/// <summary>
/// The app chooses seeds (ComfyUI ignores <c>control_after_generate</c> in API format). Fixed seeds keep
/// the whole unsigned 64-bit range exactly; random seeds are drawn below 2^53 so they survive any
/// JSON reader that converts numbers to doubles (browsers, A1111 tools).
/// </summary>
public static class SeedPolicy
{
    public const ulong MaxRandomSeed = (1UL << 53) - 1;

    /// <summary>
    /// The seeds for <paramref name="count"/> runs. Fixed seeds step by one and wrap at 2^64; random ones are drawn up to
    /// <paramref name="max"/> when the inputs they go to take less than <see cref="MaxRandomSeed"/>.
    /// </summary>
    public static IReadOnlyList<ulong> Resolve(SeedMode mode, ulong? seed, ulong? lastSeed, int count, Random random, ulong? max = null)
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
            seeds[i] = start is { } s ? unchecked(s + (ulong)i) : NextRandom(random, max ?? MaxRandomSeed);
        }
        return seeds;
    }

    /// <summary>A random seed from 0 to <paramref name="max"/> (at most <see cref="MaxRandomSeed"/>), both included.</summary>
    public static ulong NextRandom(Random random, ulong max = MaxRandomSeed)
    {
        ArgumentNullException.ThrowIfNull(random);
        return (ulong)random.NextInt64(0, (long)Math.Min(max, MaxRandomSeed) + 1);
    }
}
