using System.Diagnostics;
using NotebookSlm.Data;
using NotebookSlm.Evaluation;
using NotebookSlm.Generation;
using NotebookSlm.Models;
using NotebookSlm.Tokenization;

namespace NotebookSlm.Training;

/// <summary>One example run through a model: its id (QA), source, reference and output.</summary>
public sealed record Prediction(string? Id, string Source, string Reference, string Output);

/// <summary>A task split scored: mean ROUGE over every example (as rouge-score, no stemming
/// unless asked) and, for QA, the SQuAD 2.0 totals; with the generation time.</summary>
public sealed record TaskScores(int Examples, RougeScores Rouge, SquadEvaluation? Squad, double Seconds, double GeneratedTokensPerSecond);

/// <summary>
/// What <c>slm eval</c> does, as a library call for scripts and notebooks: batched, KV-cached
/// greedy generation over a task split (sources tokenized as in training, the task cue kept),
/// then the paper's metrics (Table 1: ROUGE-L for every task, SQuAD EM/F1 for QA).
/// </summary>
public static class TaskEvaluation
{
    public static (IReadOnlyList<Prediction> Predictions, double Seconds, long Tokens) Predict(ILanguageModel model, ITokenizer tokenizer,
        IReadOnlyList<TextPair> pairs, int batchSize = 16, int maxNewTokens = 64, int maxSource = 1024)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "at least 1");
        model.Config.CheckTokenizer(tokenizer, "evaluation");
        model.Module.eval();
        var output = new List<Prediction>(pairs.Count);
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        var options = new GenerationOptions { MaxNewTokens = maxNewTokens, UseCache = true };
        for (int start = 0; start < pairs.Count; start += batchSize)
        {
            var batch = pairs.Skip(start).Take(batchSize).ToList();
            var prompts = batch.Select(p => Batching.Tokenize(p, tokenizer, maxSource, 2).Source).ToList();
            var result = model.Generate(prompts, options);
            for (int i = 0; i < batch.Count; i++)
            {
                tokens += result.Tokens[i].Length;
                output.Add(new Prediction(batch[i].Id, batch[i].Source, batch[i].Target, tokenizer.Decode(result.Tokens[i]).Trim()));
            }
        }
        return (output, clock.Elapsed.TotalSeconds, tokens);
    }

    /// <summary>ROUGE of every prediction against its reference; with <paramref name="qa"/>, the
    /// SQuAD 2.0 totals over those gold answers, where the output "unanswerable" (the training
    /// target of <see cref="Tasks.Unanswerable"/>) is the empty answer.</summary>
    public static TaskScores Score(IReadOnlyList<Prediction> predictions, IEnumerable<QaReference>? qa = null, bool stem = false,
        double seconds = 0, long tokens = 0)
    {
        var rouge = Rouge.Mean(predictions.Select(p => (p.Reference, p.Output)), stem);
        SquadEvaluation? squad = null;
        if (qa is not null)
        {
            var answers = predictions.Where(p => p.Id is not null)
                .ToDictionary(p => p.Id!, p => p.Output == Tasks.Unanswerable ? "" : p.Output);
            var wanted = answers.Keys.ToHashSet();
            squad = Squad.Evaluate(qa.Where(r => wanted.Contains(r.Id)), answers);
        }
        return new TaskScores(predictions.Count, rouge, squad, seconds, seconds > 0 ? tokens / seconds : 0);
    }
}
