namespace NotebookSlm.Data;

/// <summary>The seeded shuffle that batching and the corpus recipes share.</summary>
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
}
