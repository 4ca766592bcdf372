using System.Text;

namespace NotebookSlm.Evaluation;

/// <summary>Precision, recall and F-measure of one ROUGE type, each in [0, 1].</summary>
public sealed record RougeScore(double Precision, double Recall, double FMeasure)
{
    public static readonly RougeScore Zero = new(0, 0, 0);

    /// <summary>F = 2PR / (P + R), and 0 when P + R = 0 (rouge-score's <c>scoring.fmeasure</c>).</summary>
    public static RougeScore Of(double precision, double recall) =>
        new(precision, recall, precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0);
}

/// <summary>The four ROUGE types the summarisation papers report.</summary>
public sealed record RougeScores(RougeScore Rouge1, RougeScore Rouge2, RougeScore RougeL, RougeScore RougeLsum)
{
    /// <summary>(name, score) in rouge-score's names: rouge1, rouge2, rougeL, rougeLsum.</summary>
    public IEnumerable<(string Name, RougeScore Score)> Named() =>
        [("rouge1", Rouge1), ("rouge2", Rouge2), ("rougeL", RougeL), ("rougeLsum", RougeLsum)];
}

/// <summary>
/// ROUGE (Lin 2004) exactly as Google's rouge-score package computes it (google-research
/// <c>rouge/rouge_scorer.py</c>, <c>rouge/tokenize.py</c>), which is what Hugging Face's
/// <c>evaluate</c> and most summarisation papers run:
/// <list type="bullet">
/// <item>tokens: lower-case, every run of characters outside <c>[a-z0-9]</c> becomes a break,
/// so punctuation splits words and non-ASCII letters vanish; with stemming, tokens longer than
/// 3 characters go through NLTK's Porter stemmer (<see cref="PorterStemmer"/>);</item>
/// <item>ROUGE-N: clipped n-gram overlap, P = overlap / prediction n-grams, R = overlap /
/// target n-grams;</item>
/// <item>ROUGE-L: P = LCS / |prediction|, R = LCS / |target| over the whole text;</item>
/// <item>ROUGE-Lsum: the summary-level LCS of the paper's section 3.2, with newline-separated
/// sentences: each target sentence takes the union of its LCS with every prediction sentence,
/// and a token counts at most as often as it occurs in both texts (as ROUGE-1.5.5 does).</item>
/// </list>
/// </summary>
public static class Rouge
{
    /// <summary>rouge-score's <c>tokenize</c>: <c>text.lower()</c>, <c>[^a-z0-9]+</c> to a
    /// space, split, optional stemming of tokens longer than 3 characters.</summary>
    public static IReadOnlyList<string> Tokenize(string text, bool stem = false)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        void Flush()
        {
            if (current.Length == 0) return;
            var token = current.ToString();
            tokens.Add(stem && token.Length > 3 ? PorterStemmer.Stem(token) : token);
            current.Clear();
        }
        foreach (char c in text)
        {
            switch (c)
            {
                case >= 'a' and <= 'z' or >= '0' and <= '9': current.Append(c); break;
                case >= 'A' and <= 'Z': current.Append((char)(c + ('a' - 'A'))); break;
                // The only other characters that Python lower-cases into [a-z]: the Kelvin sign
                // becomes k, and the dotted capital I becomes i plus a combining dot, which breaks.
                case '\u212A': current.Append('k'); break;
                case '\u0130': current.Append('i'); Flush(); break;
                default: Flush(); break;
            }
        }
        Flush();
        return tokens;
    }

    /// <summary>All four types of one prediction against its target (rouge-score's
    /// <c>RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer).score(target, prediction)</c>).</summary>
    public static RougeScores Score(string target, string prediction, bool stem = false)
    {
        var t = Tokenize(target, stem);
        var p = Tokenize(prediction, stem);
        return new RougeScores(RougeN(t, p, 1), RougeN(t, p, 2), RougeL(t, p), RougeLsum(Sentences(target, stem), Sentences(prediction, stem)));
    }

    /// <summary>The mean of each precision, recall and F-measure over the pairs, in order (the
    /// "mid" that rouge-score's command line prints is a bootstrap estimate of this mean).</summary>
    public static RougeScores Mean(IEnumerable<(string Target, string Prediction)> pairs, bool stem = false)
    {
        var sums = new double[12];
        int n = 0;
        foreach (var (target, prediction) in pairs)
        {
            int k = 0;
            foreach (var (_, s) in Score(target, prediction, stem).Named())
            {
                sums[k++] += s.Precision;
                sums[k++] += s.Recall;
                sums[k++] += s.FMeasure;
            }
            n++;
        }
        if (n == 0) throw new ArgumentException("ROUGE needs at least one (target, prediction) pair; none were given");
        RougeScore At(int i) => new(sums[i] / n, sums[i + 1] / n, sums[i + 2] / n);
        return new RougeScores(At(0), At(3), At(6), At(9));
    }

    /// <summary>ROUGE-N of two token lists: n-gram counts, overlap = sum of the smaller count
    /// of each n-gram; an empty side gives 0 (the denominators are at least 1).</summary>
    public static RougeScore RougeN(IReadOnlyList<string> target, IReadOnlyList<string> prediction, int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "ROUGE-N needs n >= 1");
        var targetCounts = NGrams(target, n);
        var predictionCounts = NGrams(prediction, n);
        int overlap = 0;
        foreach (var (gram, count) in targetCounts)
            overlap += Math.Min(count, predictionCounts.GetValueOrDefault(gram));
        int targetTotal = Math.Max(target.Count - n + 1, 0), predictionTotal = Math.Max(prediction.Count - n + 1, 0);
        return RougeScore.Of((double)overlap / Math.Max(predictionTotal, 1), (double)overlap / Math.Max(targetTotal, 1));
    }

    /// <summary>ROUGE-L of two token lists: the longest common subsequence over both lengths;
    /// 0 when either side is empty.</summary>
    public static RougeScore RougeL(IReadOnlyList<string> target, IReadOnlyList<string> prediction)
    {
        if (target.Count == 0 || prediction.Count == 0) return RougeScore.Zero;
        int lcs = LcsTable(target, prediction)[target.Count, prediction.Count];
        return RougeScore.Of((double)lcs / prediction.Count, (double)lcs / target.Count);
    }

    /// <summary>ROUGE-Lsum of tokenised sentences. For each target sentence r, the union over
    /// prediction sentences c of the positions of r on one LCS(r, c) (the LCS that
    /// rouge-score's backtrack picks); each token at those positions is a hit while the
    /// token still has an unused occurrence in both texts. P = hits / prediction tokens,
    /// R = hits / target tokens.</summary>
    public static RougeScore RougeLsum(IReadOnlyList<IReadOnlyList<string>> target, IReadOnlyList<IReadOnlyList<string>> prediction)
    {
        int m = target.Sum(s => s.Count), n = prediction.Sum(s => s.Count);
        if (m == 0 || n == 0) return RougeScore.Zero;
        var leftInTarget = Counts(target);
        var leftInPrediction = Counts(prediction);
        int hits = 0;
        foreach (var r in target)
        {
            var union = new SortedSet<int>();
            foreach (var c in prediction) union.UnionWith(LcsPositions(r, c));
            foreach (int i in union)
            {
                var token = r[i];
                if (leftInTarget.GetValueOrDefault(token) > 0 && leftInPrediction.GetValueOrDefault(token) > 0)
                {
                    hits++;
                    leftInTarget[token]--;
                    leftInPrediction[token]--;
                }
            }
        }
        return RougeScore.Of((double)hits / n, (double)hits / m);
    }

    /// <summary>rouge-score's ROUGE-Lsum sentences: split on "\n" only, drop empty lines
    /// (a line of spaces stays, with no tokens), tokenise each.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Sentences(string text, bool stem = false) =>
        text.Split('\n').Where(line => line.Length > 0).Select(line => Tokenize(line, stem)).ToList();

    static Dictionary<string, int> NGrams(IReadOnlyList<string> tokens, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= tokens.Count; i++)
        {
            // Tokens never contain U+0000, so joining on it keys each n-gram uniquely.
            var gram = n == 1 ? tokens[i] : string.Join('\0', Enumerable.Range(i, n).Select(k => tokens[k]));
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
        return counts;
    }

    static Dictionary<string, int> Counts(IEnumerable<IReadOnlyList<string>> sentences)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in sentences)
            foreach (var t in s) counts[t] = counts.GetValueOrDefault(t) + 1;
        return counts;
    }

    /// <summary>table[i, j] = LCS length of a[..i] and b[..j].</summary>
    static int[,] LcsTable(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var table = new int[a.Count + 1, b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
            for (int j = 1; j <= b.Count; j++)
                table[i, j] = string.Equals(a[i - 1], b[j - 1], StringComparison.Ordinal)
                    ? table[i - 1, j - 1] + 1
                    : Math.Max(table[i - 1, j], table[i, j - 1]);
        return table;
    }

    /// <summary>The positions in <paramref name="r"/> of one LCS with <paramref name="c"/>,
    /// read back from the end. Ties go the way rouge-score's <c>_backtrack_norec</c> takes
    /// them (drop from c only when that keeps strictly more), because which of several LCSs
    /// is chosen changes the union and so the score.</summary>
    static List<int> LcsPositions(IReadOnlyList<string> r, IReadOnlyList<string> c)
    {
        var table = LcsTable(r, c);
        var positions = new List<int>();
        int i = r.Count, j = c.Count;
        while (i > 0 && j > 0)
        {
            if (string.Equals(r[i - 1], c[j - 1], StringComparison.Ordinal)) { positions.Add(i - 1); i--; j--; }
            else if (table[i, j - 1] > table[i - 1, j]) j--;
            else i--;
        }
        return positions;
    }
}
