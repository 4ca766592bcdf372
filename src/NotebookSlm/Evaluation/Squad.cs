using System.Text;
using System.Text.Json;
using NotebookSlm.Data;
using NotebookSlm.Data.Readers;

namespace NotebookSlm.Evaluation;

/// <summary>One question's scores: exact match (0 or 1) and token F1 in [0, 1].</summary>
public sealed record SquadQuestionScore(string Id, bool HasAnswer, int Exact, double F1);

/// <summary>Exact match and F1 as percentages over <paramref name="Total"/> questions.</summary>
public sealed record SquadTotals(double Exact, double F1, int Total);

/// <summary>The official v2.0 result: all questions, and the answerable (HasAns) and
/// unanswerable (NoAns) subsets, each null when the data has no such question. Missing lists
/// the question ids that had no prediction (scored as the empty answer).</summary>
public sealed record SquadEvaluation(
    SquadTotals All, SquadTotals? HasAns, SquadTotals? NoAns,
    IReadOnlyList<SquadQuestionScore> Questions, IReadOnlyList<string> Missing);

/// <summary>
/// SQuAD exact match and F1, as the official <c>evaluate-v2.0.py</c> computes them:
/// <list type="bullet">
/// <item>normalise = lower-case, drop ASCII punctuation (<c>string.punctuation</c>), drop the
/// words a, an, the, collapse white space (Python's own <c>lower</c>, <c>\b</c> and
/// <c>split</c> semantics: <see cref="PythonText"/>);</item>
/// <item>gold answers that normalise to nothing are dropped; a question left with none
/// (every unanswerable one) has the single gold answer "", so only an empty prediction
/// scores there;</item>
/// <item>EM = normalised strings equal; F1 = bag-of-tokens F1, or 1/0 for agreeing/
/// disagreeing when either side has no token; each the maximum over the gold answers;</item>
/// <item>totals = 100 x the mean, summed in file order; HasAns/NoAns split on whether the
/// question has answers.</item>
/// </list>
/// One deliberate difference: the official script skips a question without a prediction
/// (it prints "Missing prediction for ID", leaves it out of the total, and then its HasAns
/// split falls back to all questions and its NoAns split fails). Here it is scored as the
/// empty answer and listed in <see cref="SquadEvaluation.Missing"/>, so totals always count
/// every question; with a prediction for every question the two agree.
/// </summary>
public static class Squad
{
    static readonly HashSet<string> Articles = new(StringComparer.Ordinal) { "a", "an", "the" };

    /// <summary><c>normalize_answer</c>: white_space_fix(remove_articles(remove_punc(lower(s)))).</summary>
    public static string Normalize(string s)
    {
        var lower = PythonText.Lower(s);
        var noPunctuation = new StringBuilder(lower.Length);
        foreach (char c in lower)
            if (!PythonText.Punctuation.Contains(c)) noPunctuation.Append(c);
        return string.Join(' ', PythonText.Split(RemoveArticles(noPunctuation.ToString())));
    }

    /// <summary><c>re.sub(r'\b(a|an|the)\b', ' ', text)</c>: a match must start and end at a
    /// word boundary and holds only word characters, so it is exactly a whole run of word
    /// characters that reads a, an or the.</summary>
    static string RemoveArticles(string text)
    {
        var sb = new StringBuilder(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            int start = i, n;
            while (i < text.Length && PythonText.IsWordChar(PythonText.At(text, i, out n))) i += n;
            if (i > start)
            {
                var word = text[start..i];
                sb.Append(Articles.Contains(word) ? " " : word);
            }
            else
            {
                PythonText.At(text, i, out n);
                sb.Append(text, i, n);
                i += n;
            }
        }
        return sb.ToString();
    }

    /// <summary><c>get_tokens</c>: the words of the normalised text.</summary>
    public static IReadOnlyList<string> Tokens(string s) => s.Length == 0 ? [] : PythonText.Split(Normalize(s));

    /// <summary><c>compute_exact</c>: 1 when both normalise to the same text.</summary>
    public static int Exact(string gold, string prediction) => Normalize(gold) == Normalize(prediction) ? 1 : 0;

    /// <summary><c>compute_f1</c>: F1 of the token multisets; when either side has no token,
    /// 1 if both have none and 0 otherwise (how a no-answer is scored).</summary>
    public static double F1(string gold, string prediction)
    {
        var g = Tokens(gold);
        var p = Tokens(prediction);
        if (g.Count == 0 || p.Count == 0) return g.Count == 0 && p.Count == 0 ? 1 : 0;
        var left = g.GroupBy(t => t, StringComparer.Ordinal).ToDictionary(x => x.Key, x => x.Count(), StringComparer.Ordinal);
        int same = 0;
        foreach (var t in p)
            if (left.TryGetValue(t, out int k) && k > 0) { same++; left[t] = k - 1; }
        if (same == 0) return 0;
        double precision = 1.0 * same / p.Count, recall = 1.0 * same / g.Count;
        return 2 * precision * recall / (precision + recall);
    }

    /// <summary>One question: the best EM and the best F1 over its usable gold answers
    /// (those that normalise to something; none usable means the gold answer "").</summary>
    public static (int Exact, double F1) Score(IReadOnlyList<string> golds, string prediction)
    {
        var usable = golds.Where(a => Normalize(a).Length > 0).ToList();
        if (usable.Count == 0) usable.Add("");
        return (usable.Max(a => Exact(a, prediction)), usable.Max(a => F1(a, prediction)));
    }

    /// <summary>The v2.0 aggregate over the questions of a SQuAD file and its predictions
    /// (question id to answer text, "" for no answer; ids not in the data are ignored).</summary>
    public static SquadEvaluation Evaluate(IEnumerable<QaReference> references, IReadOnlyDictionary<string, string> predictions)
    {
        var scores = new List<SquadQuestionScore>();
        var missing = new List<string>();
        foreach (var r in references)
        {
            if (!predictions.TryGetValue(r.Id, out var prediction)) { missing.Add(r.Id); prediction = ""; }
            var (exact, f1) = Score(r.Answers, prediction);
            scores.Add(new SquadQuestionScore(r.Id, r.Answers.Count > 0, exact, f1));
        }
        if (scores.Count == 0) throw new ArgumentException("the SQuAD data has no questions to score");
        var hasAns = scores.Where(s => s.HasAnswer).ToList();
        var noAns = scores.Where(s => !s.HasAnswer).ToList();
        return new SquadEvaluation(Totals(scores), hasAns.Count > 0 ? Totals(hasAns) : null,
            noAns.Count > 0 ? Totals(noAns) : null, scores, missing);
    }

    /// <summary>The aggregate over parsed articles.</summary>
    public static SquadEvaluation Evaluate(IEnumerable<SquadArticle> articles, IReadOnlyDictionary<string, string> predictions) =>
        Evaluate(Tasks.QaReferences(articles), predictions);

    /// <summary>The aggregate over a SQuAD JSON file and a predictions JSON file, as
    /// <c>python evaluate-v2.0.py DATA PREDICTIONS</c>.</summary>
    public static SquadEvaluation Evaluate(string dataPath, string predictionsPath) =>
        Evaluate(SquadJson.Read(dataPath), ReadPredictions(predictionsPath));

    /// <summary>make_eval_dict: sums left to right in file order, then 100 x sum / total, in
    /// that order of operations (as Python up to 3.11 sums floats).</summary>
    static SquadTotals Totals(IReadOnlyList<SquadQuestionScore> scores)
    {
        long exact = 0;
        double f1 = 0;
        foreach (var s in scores) { exact += s.Exact; f1 += s.F1; }
        return new SquadTotals(100.0 * exact / scores.Count, 100.0 * f1 / scores.Count, scores.Count);
    }

    /// <summary>The official predictions file: one JSON object mapping each question id to
    /// its answer text. As Python's json.load, a repeated id keeps its last value. Errors name
    /// the file, the line and the id.</summary>
    public static IReadOnlyDictionary<string, string> ReadPredictions(string path)
    {
        ReadOnlySpan<byte> bytes = File.ReadAllBytes(path);
        if (bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        var predictions = new Dictionary<string, string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(bytes);
        try
        {
            if (!reader.Read()) throw new DataFormatException(path, 0, "(root)", "empty file; expected an object mapping question id to answer text");
            if (reader.TokenType != JsonTokenType.StartObject)
                throw new DataFormatException(path, LineOf(bytes, reader), "(root)", $"expected an object mapping question id to answer text, found {Kind(reader)}");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var id = reader.GetString()!;
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                    throw new DataFormatException(path, LineOf(bytes, reader), id, $"expected the answer text as a string (\"\" for no answer), found {Kind(reader)}");
                predictions[id] = reader.GetString()!;
            }
            reader.Read();   // past the closing brace: anything but the end of the text throws
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, (e.LineNumber ?? -1) + 1, "(json)", $"expected a JSON object of predictions: {e.Message}");
        }
        return predictions;
    }

    static long LineOf(ReadOnlySpan<byte> bytes, in Utf8JsonReader reader) => 1 + bytes[..(int)reader.TokenStartIndex].Count((byte)'\n');

    static string Kind(in Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.StartObject => "an object", JsonTokenType.StartArray => "an array", JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean", JsonTokenType.Null => "null", _ => reader.TokenType.ToString().ToLowerInvariant(),
    };
}
