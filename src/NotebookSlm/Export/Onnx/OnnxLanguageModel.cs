using Microsoft.ML.OnnxRuntime;
using NotebookSlm.Generation;
using NotebookSlm.Models;

namespace NotebookSlm.Export.Onnx;

/// <summary>Where and how ONNX Runtime runs.</summary>
public sealed record OnnxRuntimeOptions
{
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>CUDA execution provider (needs the Microsoft.ML.OnnxRuntime.Gpu package and a GPU).</summary>
    public bool Cuda { get; init; }
    public GraphOptimizationLevel Optimization { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;
    /// <summary>When set, ONNX Runtime writes a Chrome-trace profile per session to files
    /// starting with this path (per-operator times; written on Dispose).</summary>
    public string? ProfilePrefix { get; init; }
}

/// <summary>
/// ONNX Runtime over the graphs <see cref="OnnxExport"/> writes, as an <see cref="IDecoder"/>:
/// <see cref="Decoding.Generate"/> gives the same tokens, sampling and timings as on the
/// TorchSharp model. Every buffer a step touches is allocated once per generation and bound once
/// (IOBinding): the self-attention caches are bound as both past and present and updated in
/// place, cross-attention K/V come from the encoder run and stay bound, and each step only
/// rewrites the token ids and cache lengths in pinned arrays before <c>RunWithBinding</c>.
/// Prompts are right-padded; per-row cache lengths (seqlens_k) keep rows apart.
/// </summary>
public sealed class OnnxLanguageModel : IDecoder, IDisposable
{
    static OnnxLanguageModel() => Runtime.NativeResolver.Register(typeof(InferenceSession).Assembly,
        "Microsoft.ML.OnnxRuntime", Runtime.TorchRuntime.Metadata("NotebookSlm.OnnxRuntimeVersion"));

    readonly InferenceSession? encoder;
    readonly InferenceSession decoder;
    readonly RunOptions run = new();
    readonly bool profiling;
    readonly string? profilePrefix;

    public ModelConfig Config { get; }
    public string Directory { get; }
    /// <summary>The profile files ONNX Runtime wrote (after Dispose, with ProfilePrefix set).</summary>
    public IReadOnlyList<string> ProfileFiles { get; private set; } = [];

    public OnnxLanguageModel(string dir, OnnxRuntimeOptions? options = null)
    {
        options ??= new OnnxRuntimeOptions();
        var descriptionPath = Path.Combine(dir, OnnxExport.Description);
        if (!File.Exists(descriptionPath)) throw new FileNotFoundException($"{dir}: no {OnnxExport.Description}; export the model with OnnxExport.Save first", descriptionPath);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(descriptionPath));
        Config = ModelConfig.FromJson(doc.RootElement.GetProperty("config").GetRawText(), descriptionPath);
        Directory = dir;
        SessionOptions For(string graph)
        {
            var so = new SessionOptions
            {
                IntraOpNumThreads = options.Threads, InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, GraphOptimizationLevel = options.Optimization,
            };
            if (options.Cuda) so.AppendExecutionProvider_CUDA(0);
            if (options.ProfilePrefix is not null) so.EnableProfiling = true;
            return so;
        }
        profiling = options.ProfilePrefix is not null;
        profilePrefix = options.ProfilePrefix;
        if (Config.IsEncoderDecoder)
        {
            encoder = new InferenceSession(Path.Combine(dir, OnnxExport.Encoder), For(OnnxExport.Encoder));
            decoder = new InferenceSession(Path.Combine(dir, OnnxExport.Decoder), For(OnnxExport.Decoder));
        }
        else decoder = new InferenceSession(Path.Combine(dir, OnnxExport.DecoderOnly), For(OnnxExport.DecoderOnly));
    }

    /// <summary>Starts one batch: the steppers below bind every buffer of the run once. The
    /// exported graphs always decode against their caches, so <paramref name="useCache"/> has no effect.</summary>
    public IDecoderRun Start(IReadOnlyList<int[]> prompts, int maxNewTokens, bool useCache) =>
        Config.IsEncoderDecoder ? new EncoderDecoderStepper(this, prompts, maxNewTokens) : new DecoderOnlyStepper(this, prompts, maxNewTokens);

    /// <summary>Arrays pinned as OrtValues: writing the array updates the bound input.</summary>
    static OrtValue Pinned<TElem>(TElem[] data, params long[] shape) where TElem : unmanaged =>
        OrtValue.CreateTensorValueFromMemory(data, shape);

    /// <summary>Encodes once (cross K/V out of the encoder graph), then runs decoder steps.</summary>
    sealed class EncoderDecoderStepper : IDecoderRun
    {
        readonly OnnxLanguageModel m;
        readonly OrtIoBinding binding;
        readonly List<OrtValue> owned = [];
        readonly long[] tokens;
        readonly int[] seqlens;
        readonly int[] total = new int[1];
        readonly float[] logits;

        public EncoderDecoderStepper(OnnxLanguageModel m, IReadOnlyList<int[]> prompts, int maxNew)
        {
            this.m = m;
            var c = m.Config;
            int batch = prompts.Count;
            var (ids, lengths, s) = Seq2SeqBatch.RightPad(prompts, c.PadId, "prompt");
            var mask = new long[ids.Length];
            for (int b = 0; b < batch; b++) for (int j = 0; j < lengths[b]; j++) mask[b * s + j] = 1;
            var idsValue = Own(Pinned(ids, batch, s));
            var maskValue = Own(Pinned(mask, batch, s));

            // The encoder runs in Prefill; its cross K/V outputs are allocated by ONNX Runtime there.
            encoderInputs = [idsValue, maskValue];
            crossNames = Enumerable.Range(0, c.DecoderLayers).SelectMany(i => new[] { $"present.{i}.encoder.key", $"present.{i}.encoder.value" }).ToArray();

            tokens = new long[batch];
            seqlens = new int[batch];
            logits = new float[batch * c.VocabSize];
            binding = m.decoder.CreateIoBinding();
            binding.BindInput("input_ids", Own(Pinned(tokens, batch, 1)));
            binding.BindInput("encoder_attention_mask", maskValue);
            binding.BindInput("seqlens_k", Own(Pinned(seqlens, batch)));
            binding.BindInput("total_sequence_length", Own(Pinned(total)));
            int capacity = maxNew + 1;
            for (int i = 0; i < c.DecoderLayers; i++)
                foreach (var kind in new[] { "key", "value" })
                {
                    var buffer = Own(Pinned(new float[batch * c.KvHeads * capacity * c.HeadDim], batch, c.KvHeads, capacity, c.HeadDim));
                    binding.BindInput($"past_key_values.{i}.decoder.{kind}", buffer);
                    binding.BindOutput($"present.{i}.decoder.{kind}", buffer);
                }
            binding.BindOutput("logits", Own(Pinned(logits, batch, 1, c.VocabSize)));
        }

        readonly OrtValue[] encoderInputs;
        readonly string[] crossNames;
        IDisposableReadOnlyCollection<OrtValue>? cross;
        int length;

        OrtValue Own(OrtValue v) { owned.Add(v); return v; }

        public ReadOnlySpan<float> Prefill()
        {
            cross = m.encoder!.Run(m.run, ["input_ids", "attention_mask"], encoderInputs, crossNames);
            for (int i = 0; i < crossNames.Length; i++)
                binding.BindInput(crossNames[i].Replace("present.", "past_key_values."), cross[i]);
            Array.Fill(tokens, m.Config.BosId);
            return Run();
        }

        public ReadOnlySpan<float> Step(long[] next)
        {
            next.CopyTo(tokens, 0);
            return Run();
        }

        ReadOnlySpan<float> Run()
        {
            length++;
            Array.Fill(seqlens, length - 1);
            total[0] = length;
            m.decoder.RunWithBinding(m.run, binding);
            return logits;
        }

        public void Dispose()
        {
            binding.Dispose();
            cross?.Dispose();
            foreach (var v in owned) v.Dispose();
        }
    }

    /// <summary>Prefills the right-padded prompts into the cache, then decodes one token a row.</summary>
    sealed class DecoderOnlyStepper : IDecoderRun
    {
        readonly OnnxLanguageModel m;
        readonly OrtIoBinding binding;
        readonly List<OrtValue> owned = [];
        readonly OrtValue promptValue, stepValue;
        readonly long[] tokens, lastIndex;
        readonly int[] seqlens, lengths;
        readonly int[] total = new int[1];
        readonly float[] logits;

        public DecoderOnlyStepper(OnnxLanguageModel m, IReadOnlyList<int[]> prompts, int maxNew)
        {
            this.m = m;
            var c = m.Config;
            int batch = prompts.Count;
            var (ids, lens, s) = Seq2SeqBatch.RightPad(prompts, c.PadId, "prompt");
            lengths = lens;
            promptValue = Own(Pinned(ids, batch, s));
            tokens = new long[batch];
            stepValue = Own(Pinned(tokens, batch, 1));
            seqlens = new int[batch];
            lastIndex = new long[batch];
            logits = new float[batch * c.VocabSize];
            binding = m.decoder.CreateIoBinding();
            binding.BindInput("seqlens_k", Own(Pinned(seqlens, batch)));
            binding.BindInput("total_sequence_length", Own(Pinned(total)));
            binding.BindInput("last_token_index", Own(Pinned(lastIndex, batch)));
            int capacity = s + maxNew;
            for (int i = 0; i < c.DecoderLayers; i++)
                foreach (var kind in new[] { "key", "value" })
                {
                    var buffer = Own(Pinned(new float[batch * c.KvHeads * capacity * c.HeadDim], batch, c.KvHeads, capacity, c.HeadDim));
                    binding.BindInput($"past_key_values.{i}.{kind}", buffer);
                    binding.BindOutput($"present.{i}.{kind}", buffer);
                }
            binding.BindOutput("logits", Own(Pinned(logits, batch, 1, c.VocabSize)));
            maxPrompt = s;
        }

        readonly int maxPrompt;
        int generated;

        OrtValue Own(OrtValue v) { owned.Add(v); return v; }

        public ReadOnlySpan<float> Prefill()
        {
            binding.BindInput("input_ids", promptValue);
            for (int b = 0; b < lengths.Length; b++) { seqlens[b] = lengths[b] - 1; lastIndex[b] = lengths[b] - 1; }
            total[0] = maxPrompt;
            m.decoder.RunWithBinding(m.run, binding);
            binding.BindInput("input_ids", stepValue);
            Array.Clear(lastIndex);
            return logits;
        }

        public ReadOnlySpan<float> Step(long[] next)
        {
            next.CopyTo(tokens, 0);
            generated++;
            int longest = 0;
            for (int b = 0; b < lengths.Length; b++)
            {
                seqlens[b] = lengths[b] + generated - 1;
                longest = Math.Max(longest, seqlens[b] + 1);
            }
            total[0] = longest;
            m.decoder.RunWithBinding(m.run, binding);
            return logits;
        }

        public void Dispose()
        {
            binding.Dispose();
            foreach (var v in owned) v.Dispose();
        }
    }

    public void Dispose()
    {
        if (profiling)
        {
            // ONNX Runtime writes profiles to the working folder whatever the prefix; move them.
            string Move(InferenceSession session, string graph)
            {
                var target = $"{profilePrefix}-{Path.GetFileNameWithoutExtension(graph)}.json";
                File.Move(session.EndProfiling(), target, overwrite: true);
                return Path.GetFullPath(target);
            }
            ProfileFiles = encoder is null ? [Move(decoder, OnnxExport.DecoderOnly)]
                : [Move(encoder, OnnxExport.Encoder), Move(decoder, OnnxExport.Decoder)];
        }
        encoder?.Dispose();
        decoder.Dispose();
        run.Dispose();
    }
}
