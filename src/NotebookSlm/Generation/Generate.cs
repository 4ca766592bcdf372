using System.Diagnostics;
using NotebookSlm.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSlm.Generation;

/// <summary>Generated tokens per row (without BOS; ending in EOS where one was produced) and timings.</summary>
public sealed record GenerationResult(IReadOnlyList<int[]> Tokens, double FirstTokenMs, double DecodeMs, int Steps)
{
    /// <summary>Tokens per second after the first token, over the whole batch.</summary>
    public double DecodeTokensPerSecond => Steps <= 1 || DecodeMs <= 0 ? 0 : (Steps - 1) * (double)Tokens.Count / (DecodeMs / 1000.0);
}

/// <summary>`model.Generate(prompts, options)`: batched generation for either architecture, with per-row EOS and a seeded sampler.</summary>
public static class GenerateExtensions
{
    public static GenerationResult Generate(this ILanguageModel model, IReadOnlyList<int[]> prompts, GenerationOptions options)
    {
        options.Validate();
        var c = model.Config;
        var wasTraining = model.Module.training;
        model.Module.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var (source, mask) = Seq2SeqBatch.Pad(prompts, c.PadId, "prompt");
            var generator = options.Greedy ? null : new torch.Generator((ulong)options.Seed);
            long batch = prompts.Count;
            var rows = Enumerable.Range(0, (int)batch).Select(_ => new List<int>()).ToArray();
            var finished = new bool[batch];

            using var session = model.StartDecoding(source, mask, options.MaxNewTokens, options.UseCache);
            var clock = Stopwatch.StartNew();
            var logits = session.Prefill();
            var next = Sampling.Pick(logits, options, generator);
            double firstMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            int steps = 0;
            while (true)
            {
                using var stepScope = NewDisposeScope();
                steps++;
                var picked = next.data<long>().ToArray();
                for (int i = 0; i < batch; i++)
                {
                    if (finished[i]) continue;
                    rows[i].Add((int)picked[i]);
                    if (options.StopAtEos && picked[i] == c.EosId) finished[i] = true;
                }
                if (steps == options.MaxNewTokens || finished.All(f => f)) break;
                // Finished rows keep decoding EOS (the batch moves together); their output is frozen.
                var feed = tensor(picked.Select((t, i) => finished[i] ? c.EosId : t).ToArray());
                next = Sampling.Pick(session.Step(feed), options, generator).MoveToOuterDisposeScope();
            }
            double decodeMs = clock.Elapsed.TotalMilliseconds;
            return new GenerationResult(rows.Select(r => r.ToArray()).ToArray(), firstMs, decodeMs, steps);
        }
        finally
        {
            if (wasTraining) model.Module.train();
        }
    }
}
