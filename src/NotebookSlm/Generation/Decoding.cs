using System.Diagnostics;
using NotebookSlm.Models;
using static TorchSharp.torch;

namespace NotebookSlm.Generation;

/// <summary>Generated tokens per row (without BOS; ending in EOS where one was produced) and timings.</summary>
public sealed record GenerationResult(IReadOnlyList<int[]> Tokens, double FirstTokenMs, double DecodeMs, int Steps)
{
    /// <summary>Tokens per second after the first token, over the whole batch.</summary>
    public double DecodeTokensPerSecond => Steps <= 1 || DecodeMs <= 0 ? 0 : (Steps - 1) * (double)Tokens.Count / (DecodeMs / 1000.0);
}

/// <summary>
/// A model the host-side loop can drive, whatever runs it: the TorchSharp modules
/// (<see cref="TorchDecoder"/>), the dynamic ONNX graphs (<c>OnnxLanguageModel</c>) or the
/// static NPU-shaped ones (<c>StaticOnnxModel</c>). Each runtime only moves tokens in and
/// logits out; choosing tokens, per-row EOS, timing and teacher forcing live once, in
/// <see cref="Decoding"/> (docs/architecture.md, "Generation").
/// </summary>
public interface IDecoder
{
    ModelConfig Config { get; }
    /// <summary>Starts decoding a batch of prompts (right-padded by the runtime) for up to
    /// <paramref name="maxNewTokens"/> tokens. Without a cache a runtime may recompute every
    /// step over everything generated so far (the released algorithm).</summary>
    IDecoderRun Start(IReadOnlyList<int[]> prompts, int maxNewTokens, bool useCache);
}

/// <summary>One batch being decoded. The spans are the runtime's own buffers, row-major
/// (B, V) fp32, valid until the next call.</summary>
public interface IDecoderRun : IDisposable
{
    /// <summary>Processes the prompts (encode, or decoder-only prefill); logits of the first generated token.</summary>
    ReadOnlySpan<float> Prefill();
    /// <summary>Feeds one token per row; logits of the next.</summary>
    ReadOnlySpan<float> Step(long[] tokens);
}

/// <summary>The one decoding loop: greedy or seeded sampling, per-row EOS, timings, and
/// teacher-forced logits, over any <see cref="IDecoder"/>.</summary>
public static class Decoding
{
    /// <summary>Batched generation. Greedy picks the first largest logit on the host (no tensor
    /// per token); sampling goes through <see cref="Sampling.Pick"/> with a generator seeded by
    /// the options, so every runtime draws the same tokens from the same logits.
    /// <paramref name="onToken"/>, when given, sees each token as a row takes it (row, token),
    /// which is how a server streams; returning false ends that row after the token, as an EOS
    /// would (a stop string matched, a client gone).</summary>
    public static GenerationResult Generate(this IDecoder decoder, IReadOnlyList<int[]> prompts, GenerationOptions options,
        Func<int, int, bool>? onToken = null)
    {
        options.Validate();
        if (prompts.Count == 0) throw new ArgumentException("no prompts");
        for (int i = 0; i < prompts.Count; i++)
            if (prompts[i].Length == 0) throw new ArgumentException($"prompt {i} is empty: every prompt needs at least one token");
        var c = decoder.Config;
        int batch = prompts.Count;
        var generator = options.Greedy ? null : new Generator((ulong)options.Seed);
        var rows = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        var finished = new bool[batch];
        var next = new long[batch];

        using var run = decoder.Start(prompts, options.MaxNewTokens, options.UseCache);
        var clock = Stopwatch.StartNew();
        Pick(run.Prefill(), c.VocabSize, options, generator, next);
        double firstMs = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        int steps = 0;
        while (true)
        {
            steps++;
            for (int i = 0; i < batch; i++)
            {
                if (finished[i]) continue;
                rows[i].Add((int)next[i]);
                if (options.StopAtEos && next[i] == c.EosId) finished[i] = true;
                if (onToken is not null && !onToken(i, (int)next[i])) finished[i] = true;
            }
            if (steps == options.MaxNewTokens || finished.All(f => f)) break;
            // Finished rows keep decoding EOS (the batch moves together); their output is frozen.
            for (int i = 0; i < batch; i++) if (finished[i]) next[i] = c.EosId;
            Pick(run.Step(next), c.VocabSize, options, generator, next);
        }
        return new GenerationResult(rows.Select(r => r.ToArray()).ToArray(), firstMs, clock.Elapsed.TotalMilliseconds, steps);
    }

    /// <summary>Logits (B * V each) of the first token and of each step fed the forced tokens
    /// (one per row per step): what parity between runtimes is checked on.</summary>
    public static IReadOnlyList<float[]> ForcedLogits(this IDecoder decoder, IReadOnlyList<int[]> prompts, IReadOnlyList<long[]> forced)
    {
        using var run = decoder.Start(prompts, forced.Count + 1, useCache: true);
        var result = new List<float[]> { run.Prefill().ToArray() };
        foreach (var tokens in forced)
        {
            if (tokens.Length != prompts.Count) throw new ArgumentException($"forced step {result.Count - 1} has {tokens.Length} tokens for {prompts.Count} rows");
            result.Add(run.Step(tokens).ToArray());
        }
        return result;
    }

    /// <summary>Next tokens from logits (B, V) into <paramref name="next"/>.</summary>
    static void Pick(ReadOnlySpan<float> logits, int vocab, GenerationOptions o, Generator? generator, long[] next)
    {
        if (o.Greedy)
        {
            for (int b = 0; b < next.Length; b++) next[b] = Sampling.ArgMax(logits.Slice(b * vocab, vocab));
            return;
        }
        using var scope = NewDisposeScope();
        var picked = Sampling.Pick(tensor(logits.ToArray(), [next.Length, vocab], device: CPU), o, generator);
        picked.data<long>().CopyTo(next);
    }
}
