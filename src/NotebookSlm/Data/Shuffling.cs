namespace NotebookSlm.Data;

/// <summary>
/// The seeded shuffle that batching and the corpus recipes share, and the one way the project
/// derives a seed for a random stream from a base seed (<see cref="DeriveSeed"/>).
/// </summary>
public static class Shuffling
{
    /// <summary>A deterministic shuffle (Fisher-Yates with a seeded System.Random): the same
    /// seed gives the same order on every machine and .NET version that keeps System.Random's
    /// seeded sequence.</summary>
    public static List<T> Shuffle<T>(IEnumerable<T> items, int seed)
    {
        var list = items.ToList();
        var rng = new Random(seed);
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }

    /// <summary>
    /// The seed of one random stream (an epoch, a shard, a worker, ...) of a run seeded with
    /// <paramref name="seed"/>: SplitMix64 of the seed, then of that state xor each stream
    /// label in turn; the top 31 bits, so the result is a non-negative int that
    /// <c>new Random(int)</c> and <see cref="Shuffle{T}"/> take. Pure arithmetic, so the same
    /// on every process, machine and .NET version. Never seed from <c>HashCode.Combine</c> or
    /// <c>string.GetHashCode</c>: .NET randomises both per process.
    /// </summary>
    /// <remarks>Each step is a bijection of the 64-bit state, so for a fixed seed distinct
    /// labels give distinct states; the 31 bits kept collide only as often as random draws.</remarks>
    public static int DeriveSeed(long seed, params long[] streams)
    {
        ulong state = SplitMix64(unchecked((ulong)seed));
        foreach (var s in streams) state = SplitMix64(state ^ unchecked((ulong)s));
        return (int)(state >> 33);
    }

    /// <summary>
    /// One output of SplitMix64 (Steele, Lea and Flood 2014; Vigna's <c>splitmix64.c</c>) from
    /// the state before the step: the state advances by the golden-ratio increment and the
    /// result is its avalanche mix. <c>SplitMix64(0)</c> is 0xE220A8397B1DCDAF, the first
    /// output of the reference generator seeded with 0.
    /// </summary>
    public static ulong SplitMix64(ulong state)
    {
        unchecked
        {
            ulong z = state + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
