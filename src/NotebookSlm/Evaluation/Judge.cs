using System.Text.Json;
using Microsoft.Extensions.AI;

namespace NotebookSlm.Evaluation;

/// <summary>One answer to judge: the question, the model's answer, the contexts it was given
/// (retrieved chunks, in rank order) and, where there is one, the reference answer.</summary>
public sealed record JudgeSample(string Question, string Answer, IReadOnlyList<string> Contexts, string? Reference = null);

/// <summary>
/// The four Ragas scores of one sample, each in [0, 1], NaN where it could not be computed
/// (Ragas does the same); <see cref="Problems"/> says why, one line each: a verdict that was
/// not the JSON asked for, a metric that needs a reference or an embedding model.
/// </summary>
public sealed record JudgeScores(double Faithfulness, double AnswerRelevancy, double ContextPrecision, double ContextRecall,
    IReadOnlyList<string> Problems)
{
    /// <summary>The scores' names, in Ragas's spelling and <see cref="Named"/>'s order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["faithfulness", "answer_relevancy", "context_precision", "context_recall"];

    public IEnumerable<(string Name, double Value)> Named() =>
        Names.Zip([Faithfulness, AnswerRelevancy, ContextPrecision, ContextRecall]);
}

/// <summary>Mean of each score over the samples where it is a number (Ragas's nanmean), with
/// how many samples each mean is over.</summary>
public sealed record JudgeSummary(IReadOnlyDictionary<string, double> Mean, IReadOnlyDictionary<string, int> Scored, int Samples)
{
    public static JudgeSummary Of(IReadOnlyList<JudgeScores> scores)
    {
        var mean = new Dictionary<string, double>();
        var scored = new Dictionary<string, int>();
        for (int i = 0; i < JudgeScores.Names.Count; i++)
        {
            var values = scores.Select(s => s.Named().ElementAt(i).Value).Where(double.IsFinite).ToList();
            mean[JudgeScores.Names[i]] = values.Count == 0 ? double.NaN : values.Average();
            scored[JudgeScores.Names[i]] = values.Count;
        }
        return new JudgeSummary(mean, scored, scores.Count);
    }
}

/// <summary>An LLM-as-judge: the paper's Ragas-GPT scores (section 4.1) for one sample.</summary>
public interface IJudge
{
    Task<JudgeScores> ScoreAsync(JudgeSample sample, CancellationToken cancel = default);
}

public static class Judges
{
    /// <summary>Scores every sample in order (one at a time: a local endpoint serves one request
    /// at a time anyway) and summarises.</summary>
    public static async Task<(IReadOnlyList<JudgeScores> Scores, JudgeSummary Summary)> ScoreAllAsync(this IJudge judge,
        IEnumerable<JudgeSample> samples, CancellationToken cancel = default)
    {
        var scores = new List<JudgeScores>();
        foreach (var s in samples) scores.Add(await judge.ScoreAsync(s, cancel).ConfigureAwait(false));
        return (scores, JudgeSummary.Of(scores));
    }
}

/// <summary>
/// The Ragas metrics over any <see cref="IChatClient"/> (an OpenAI-compatible endpoint through
/// <see cref="JudgeClients.OpenAiCompatible"/>, <c>slm serve</c>, or a test double) and, for
/// answer relevancy, an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>:
/// <list type="bullet">
/// <item>faithfulness: the answer split into statements; the share the contexts support;</item>
/// <item>answer relevancy: <see cref="Strictness"/> questions written from the answer, mean
/// cosine similarity of their embeddings to the question's, 0 when the answer is noncommittal;</item>
/// <item>context precision: a usefulness verdict v_k per context for the reference, then
/// sum_k precision@k * v_k / sum_k v_k (earlier useful contexts count more);</item>
/// <item>context recall: the reference's statements, the share attributable to the contexts.</item>
/// </list>
/// Verdicts are asked for as JSON at temperature 0 (the relevancy questions at
/// <see cref="QuestionTemperature"/>, seeded), and read leniently: code fences and text around
/// the first JSON object are ignored, anything else is a problem and the score NaN.
/// </summary>
public sealed class RagasJudge(IChatClient chat, IEmbeddingGenerator<string, Embedding<float>>? embeddings = null) : IJudge
{
    public int Strictness { get; init; } = 3;
    public float QuestionTemperature { get; init; } = 0.7f;
    public int MaxOutputTokens { get; init; } = 512;

    public async Task<JudgeScores> ScoreAsync(JudgeSample s, CancellationToken cancel = default)
    {
        var problems = new List<string>();
        var faithfulness = await Faithfulness(s, problems, cancel).ConfigureAwait(false);
        var relevancy = await AnswerRelevancy(s, problems, cancel).ConfigureAwait(false);
        var precision = await ContextPrecision(s, problems, cancel).ConfigureAwait(false);
        var recall = await ContextRecall(s, problems, cancel).ConfigureAwait(false);
        return new JudgeScores(faithfulness, relevancy, precision, recall, problems);
    }

    async Task<double> Faithfulness(JudgeSample s, List<string> problems, CancellationToken cancel)
    {
        var split = await Ask("faithfulness", JudgePrompts.Statements(s.Question, s.Answer), 0, problems, cancel).ConfigureAwait(false);
        var statements = Strings(split, "statements", "faithfulness", problems);
        if (statements is null) return double.NaN;
        if (statements.Count == 0) { problems.Add("faithfulness: the answer has no statements"); return double.NaN; }
        var nli = await Ask("faithfulness", JudgePrompts.Supported(Joined(s.Contexts), statements), 0, problems, cancel).ConfigureAwait(false);
        var verdicts = Verdicts(nli, "verdicts", "verdict", "faithfulness", problems);
        if (verdicts is null) return double.NaN;
        // Over the verdicts given, as Ragas (a judge that merges two statements is not penalised twice).
        if (verdicts.Count == 0) { problems.Add("faithfulness: the judge gave no verdicts"); return double.NaN; }
        return verdicts.Average();
    }

    async Task<double> AnswerRelevancy(JudgeSample s, List<string> problems, CancellationToken cancel)
    {
        if (embeddings is null) { problems.Add("answer_relevancy: no embedding generator was given"); return double.NaN; }
        var questions = new List<string>();
        bool noncommittal = false;
        for (int i = 0; i < Strictness; i++)
        {
            var reply = await Ask("answer_relevancy", JudgePrompts.Question(s.Answer), i, problems, cancel, QuestionTemperature).ConfigureAwait(false);
            if (reply is not { } r) return double.NaN;
            if (!r.TryGetProperty("question", out var q) || q.ValueKind != JsonValueKind.String || !r.TryGetProperty("noncommittal", out var n)
                || !TryFlag(n, out var flag))
            {
                problems.Add($"answer_relevancy: expected {{\"question\": string, \"noncommittal\": 0 or 1}}, got {Short(r.GetRawText())}");
                return double.NaN;
            }
            questions.Add(q.GetString()!);
            noncommittal |= flag == 1;
        }
        var vectors = await embeddings.GenerateAsync([s.Question, .. questions], cancellationToken: cancel).ConfigureAwait(false);
        var asked = vectors[0].Vector;
        double mean = Enumerable.Range(1, questions.Count).Average(i => Cosine(asked.Span, vectors[i].Vector.Span));
        return noncommittal ? 0 : mean;
    }

    async Task<double> ContextPrecision(JudgeSample s, List<string> problems, CancellationToken cancel)
    {
        if (s.Reference is null) { problems.Add("context_precision: needs a reference answer"); return double.NaN; }
        if (s.Contexts.Count == 0) { problems.Add("context_precision: no contexts"); return double.NaN; }
        var useful = new List<int>();
        foreach (var context in s.Contexts)
        {
            var reply = await Ask("context_precision", JudgePrompts.Useful(s.Question, context, s.Reference), 0, problems, cancel).ConfigureAwait(false);
            if (reply is not { } r) return double.NaN;
            if (!r.TryGetProperty("verdict", out var v) || !TryFlag(v, out var flag))
            {
                problems.Add($"context_precision: expected {{\"verdict\": 0 or 1}}, got {Short(r.GetRawText())}");
                return double.NaN;
            }
            useful.Add(flag);
        }
        return AveragePrecision(useful);
    }

    async Task<double> ContextRecall(JudgeSample s, List<string> problems, CancellationToken cancel)
    {
        if (s.Reference is null) { problems.Add("context_recall: needs a reference answer"); return double.NaN; }
        var reply = await Ask("context_recall", JudgePrompts.Attributed(s.Question, Joined(s.Contexts), s.Reference), 0, problems, cancel).ConfigureAwait(false);
        var verdicts = Verdicts(reply, "classifications", "attributed", "context_recall", problems);
        if (verdicts is null) return double.NaN;
        if (verdicts.Count == 0) { problems.Add("context_recall: the reference has no statements"); return double.NaN; }
        return verdicts.Average();
    }

    /// <summary>Ragas's context precision over verdicts in rank order: the mean of precision@k at
    /// the useful ranks; 0 when none is useful.</summary>
    public static double AveragePrecision(IReadOnlyList<int> useful)
    {
        double sum = 0;
        int hits = 0;
        for (int k = 0; k < useful.Count; k++)
        {
            if (useful[k] == 0) continue;
            hits++;
            sum += hits / (double)(k + 1);
        }
        return hits == 0 ? 0 : sum / hits;
    }

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"embeddings of {a.Length} and {b.Length} dimensions");
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    async Task<JsonElement?> Ask(string metric, string prompt, int seed, List<string> problems, CancellationToken cancel, float temperature = 0)
    {
        var options = new ChatOptions { Temperature = temperature, Seed = seed, MaxOutputTokens = MaxOutputTokens, ResponseFormat = ChatResponseFormat.Json };
        var response = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], options, cancel).ConfigureAwait(false);
        var parsed = JudgeJson.FirstObject(response.Text);
        if (parsed is null) problems.Add($"{metric}: the judge's reply is not a JSON object: {Short(response.Text)}");
        return parsed;
    }

    static List<string>? Strings(JsonElement? reply, string key, string metric, List<string> problems)
    {
        if (reply is not { } r) return null;
        if (r.TryGetProperty(key, out var a) && a.ValueKind == JsonValueKind.Array && a.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
            return a.EnumerateArray().Select(e => e.GetString()!).Where(t => t.Trim().Length > 0).ToList();
        problems.Add($"{metric}: expected {{\"{key}\": [strings]}}, got {Short(r.GetRawText())}");
        return null;
    }

    /// <summary>The 0/1 flags <paramref name="flag"/> of the objects in the array
    /// <paramref name="key"/>.</summary>
    static List<int>? Verdicts(JsonElement? reply, string key, string flag, string metric, List<string> problems)
    {
        if (reply is not { } r) return null;
        if (r.TryGetProperty(key, out var a) && a.ValueKind == JsonValueKind.Array)
        {
            List<int>? flags = [];
            foreach (var e in a.EnumerateArray())
                if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty(flag, out var f) && TryFlag(f, out var value)) flags.Add(value);
                else { flags = null; break; }
            if (flags is not null) return flags;
        }
        problems.Add($"{metric}: expected {{\"{key}\": [{{..., \"{flag}\": 0 or 1}}]}}, got {Short(r.GetRawText())}");
        return null;
    }

    /// <summary>0 or 1, as a number, a boolean or the strings "0"/"1"/"yes"/"no".</summary>
    static bool TryFlag(JsonElement e, out int value)
    {
        value = 0;
        switch (e.ValueKind)
        {
            case JsonValueKind.Number when e.TryGetInt32(out var n) && n is 0 or 1: value = n; return true;
            case JsonValueKind.True: value = 1; return true;
            case JsonValueKind.False: return true;
            case JsonValueKind.String:
                var t = e.GetString()!.Trim().ToLowerInvariant();
                if (t is "1" or "yes" or "true") { value = 1; return true; }
                return t is "0" or "no" or "false";
            default: return false;
        }
    }

    static string Joined(IReadOnlyList<string> contexts) => string.Join("\n\n", contexts);
    static string Short(string text) => text.Length <= 160 ? $"'{text}'" : $"'{text[..160]}...'";
}
