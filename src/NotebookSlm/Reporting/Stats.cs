using System.Text.Json.Serialization;

namespace NotebookSlm.Reporting;

/// <summary>Mean, median, p90, min and max of a sample: the one summary that benchmarks (times,
/// speeds), data inspection (lengths) and notebooks report. Quantiles interpolate linearly
/// between the two nearest ranks (numpy's default): the q-quantile of sorted x[0..n) sits at
/// rank q*(n-1). All NaN for an empty sample.</summary>
public sealed record Stats(
    [property: JsonPropertyName("mean")] double Mean, [property: JsonPropertyName("median")] double Median,
    [property: JsonPropertyName("p90")] double P90, [property: JsonPropertyName("min")] double Min, [property: JsonPropertyName("max")] double Max)
{
    public static Stats Of(IEnumerable<double> values)
    {
        var s = values.ToArray();
        if (s.Length == 0) return new(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        Array.Sort(s);
        return new(s.Average(), Quantile(s, 0.5), Quantile(s, 0.9), s[0], s[^1]);
    }

    public static Stats Of(IEnumerable<int> values) => Of(values.Select(v => (double)v));

    /// <summary>The q-quantile of a sorted array, interpolated between the closest ranks.</summary>
    public static double Quantile(double[] sorted, double q)
    {
        double rank = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
    }
}
