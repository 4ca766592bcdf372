using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using NotebookSlm.Generation;
using NotebookSlm.Models;

namespace NotebookSlm.Export.Onnx;

/// <summary>
/// Decoding (an <see cref="IDecoder"/>) over the static graphs of <see cref="StaticExport"/>, batch 1, the way an
/// NPU host runs them: the host owns the fixed-length caches and their validity mask, binds
/// every buffer once (IOBinding over pinned arrays) and after each step copies the new keys and
/// values into their slot. On graphs exported with <c>Calibration</c> it also records the range
/// of every quantization point (<see cref="Ranges"/>).
/// </summary>
public sealed class StaticOnnxModel : IDecoder, IDisposable
{
    static StaticOnnxModel() => Runtime.NativeResolver.Register(typeof(InferenceSession).Assembly,
        "Microsoft.ML.OnnxRuntime", Runtime.TorchRuntime.Metadata("NotebookSlm.OnnxRuntimeVersion"));

    readonly InferenceSession first, step;
    readonly RunOptions run = new();
    readonly Dictionary<string, ActivationRange> ranges = [];

    public ModelConfig Config { get; }
    public int PromptLength { get; }
    public int MaxNewTokens { get; }
    public int CacheLength { get; }
    public string Quantization { get; }
    /// <summary>Ranges seen so far at each quantization point (calibration graphs only).</summary>
    public IReadOnlyDictionary<string, ActivationRange> Ranges => ranges;

    public StaticOnnxModel(string dir, OnnxRuntimeOptions? options = null)
    {
        options ??= new OnnxRuntimeOptions();
        var path = Path.Combine(dir, OnnxExport.Description);
        if (!File.Exists(path)) throw new FileNotFoundException($"{dir}: no {OnnxExport.Description}; export with StaticExport.Save first", path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var d = doc.RootElement;
        if (!d.TryGetProperty("static", out var s) || !s.GetBoolean())
            throw new InvalidDataException($"{path}: not a static export (field 'static' missing or false); use OnnxLanguageModel for dynamic graphs");
        Config = ModelConfig.FromJson(d.GetProperty("config").GetRawText(), path);
        PromptLength = d.GetProperty("prompt_length").GetInt32();
        MaxNewTokens = d.GetProperty("max_new_tokens").GetInt32();
        CacheLength = d.GetProperty("cache_length").GetInt32();
        Quantization = d.GetProperty("quantization").GetString()!;
        var so = new SessionOptions { IntraOpNumThreads = options.Threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, GraphOptimizationLevel = options.Optimization };
        var (a, b) = Config.IsEncoderDecoder ? (OnnxExport.Encoder, OnnxExport.Decoder) : (StaticExport.Prefill, StaticExport.Decode);
        first = new InferenceSession(Path.Combine(dir, a), so);
        step = new InferenceSession(Path.Combine(dir, b), so);
    }

    /// <summary>Starts one prompt (the static graphs take batch 1) for up to
    /// <see cref="MaxNewTokens"/> tokens; the graphs always decode against their caches.</summary>
    public IDecoderRun Start(IReadOnlyList<int[]> prompts, int maxNewTokens, bool useCache)
    {
        if (prompts.Count != 1) throw new ArgumentException($"a static export runs one prompt at a time (got {prompts.Count})");
        if (maxNewTokens > MaxNewTokens) throw new ArgumentException($"this export holds {MaxNewTokens} new tokens at most (asked for {maxNewTokens})");
        return new Stepper(this, prompts[0]);
    }

    void Record(OrtIoBinding binding, string[] names)
    {
        if (names.Length == 0) return;
        using var values = binding.GetOutputValues();
        var all = binding.GetOutputNames();
        for (int i = 0; i < all.Length; i++)
        {
            if (!all[i].StartsWith(QdqPlan.CalibrationPrefix, StringComparison.Ordinal)) continue;
            var data = values.ElementAt(i).GetTensorDataAsSpan<float>();
            float lo = float.MaxValue, hi = float.MinValue;
            foreach (var v in data) { if (v < lo) lo = v; if (v > hi) hi = v; }
            var point = all[i][QdqPlan.CalibrationPrefix.Length..];
            ranges[point] = ranges.TryGetValue(point, out var r) ? r.Merge(lo, hi) : new ActivationRange(lo, hi);
        }
    }

    /// <summary>One generation's buffers, bound once: the prompt pass, then one token a step.</summary>
    sealed class Stepper : IDecoderRun
    {
        readonly StaticOnnxModel m;
        readonly OrtIoBinding a, b;
        readonly List<OrtValue> owned = [];
        readonly string[] calibA, calibB;
        readonly long[] token = new long[1], position = new long[1], stepMask;
        readonly float[] logits;
        readonly List<(float[] Cache, float[] Present)> caches = [];
        readonly int n;
        int filled;   // slots of the step graph's cache in use

        public Stepper(StaticOnnxModel m, int[] prompt)
        {
            this.m = m;
            var c = m.Config;
            int s = m.PromptLength, l = m.CacheLength, kv = c.KvHeads, dh = c.HeadDim;
            n = prompt.Length;
            if (n == 0 || n > s) throw new ArgumentException($"the prompt has {n} tokens; this static export takes 1 to {s}");
            var ids = new long[s];
            Array.Fill(ids, (long)c.PadId);
            for (int j = 0; j < n; j++) ids[j] = prompt[j];
            var promptMask = Enumerable.Range(0, s).Select(j => j < n ? 1L : 0L).ToArray();
            stepMask = new long[l + 1];
            logits = new float[c.VocabSize];
            a = m.first.CreateIoBinding();
            b = m.step.CreateIoBinding();
            a.BindInput("input_ids", Own(ids, 1, s));
            b.BindInput("input_ids", Own(token, 1, 1));
            b.BindInput("position_ids", Own(position, 1, 1));
            b.BindInput("attention_mask", Own(stepMask, 1, l + 1));
            b.BindOutput("logits", Own(logits, 1, 1, c.VocabSize));
            if (c.IsEncoderDecoder)
            {
                var maskValue = Own(promptMask, 1, s);
                a.BindInput("attention_mask", maskValue);
                b.BindInput("encoder_attention_mask", maskValue);
                for (int i = 0; i < c.DecoderLayers; i++)
                    foreach (var kind in new[] { "key", "value" })
                    {
                        var crossKv = Own(new float[kv * s * dh], 1, kv, s, dh);          // written by the encoder, read by every step
                        a.BindOutput($"present.{i}.encoder.{kind}", crossKv);
                        b.BindInput($"past_key_values.{i}.encoder.{kind}", crossKv);
                        Cache(b, $"{i}.decoder.{kind}", kv, l, dh);
                    }
            }
            else
            {
                a.BindInput("position_ids", Own(Enumerable.Range(0, s).Select(j => (long)j).ToArray(), 1, s));
                a.BindInput("attention_mask", Own(promptMask, 1, s));
                a.BindInput("last_token_index", Own(new long[] { n - 1 }, 1));
                a.BindOutput("logits", Own(logits, 1, 1, c.VocabSize));
                for (int i = 0; i < c.DecoderLayers; i++)
                    foreach (var kind in new[] { "key", "value" })
                    {
                        var (cache, _) = Cache(b, $"{i}.{kind}", kv, l, dh);
                        var prefilled = new float[kv * s * dh];
                        a.BindOutput($"present.{i}.{kind}", Own(prefilled, 1, kv, s, dh));
                        prefillCopies.Add((prefilled, cache));
                    }
            }
            calibA = Calibration(m.first, a);
            calibB = Calibration(m.step, b);
        }

        readonly List<(float[] From, float[] To)> prefillCopies = [];

        (float[] Cache, float[] Present) Cache(OrtIoBinding binding, string name, int kv, int l, int dh)
        {
            var entry = (new float[kv * l * dh], new float[kv * dh]);
            binding.BindInput($"past_key_values.{name}", Own(entry.Item1, 1, kv, l, dh));
            binding.BindOutput($"present.{name}", Own(entry.Item2, 1, kv, 1, dh));
            caches.Add(entry);
            return entry;
        }

        static string[] Calibration(InferenceSession session, OrtIoBinding binding)
        {
            var names = session.OutputNames.Where(o => o.StartsWith(QdqPlan.CalibrationPrefix, StringComparison.Ordinal)).ToArray();
            foreach (var name in names) binding.BindOutputToDevice(name, OrtMemoryInfo.DefaultInstance);
            return names;
        }

        OrtValue Own<TElem>(TElem[] data, params long[] shape) where TElem : unmanaged
        {
            var v = OrtValue.CreateTensorValueFromMemory(data, shape);
            owned.Add(v);
            return v;
        }

        public ReadOnlySpan<float> Prefill()
        {
            m.first.RunWithBinding(m.run, a);
            m.Record(a, calibA);
            var c = m.Config;
            if (c.IsEncoderDecoder) return Next(c.BosId);
            // Decoder-only: the prompt's keys and values fill slots 0..S-1; pads stay masked.
            int s = m.PromptLength, l = m.CacheLength, dh = c.HeadDim;
            foreach (var (from, to) in prefillCopies)
                for (int h = 0; h < c.KvHeads; h++) Array.Copy(from, h * s * dh, to, h * l * dh, s * dh);
            for (int j = 0; j < n; j++) stepMask[j] = 1;
            filled = s;
            return logits;
        }

        public ReadOnlySpan<float> Step(long[] tokens) => Next(tokens[0]);

        /// <summary>Feeds one token; returns the logits of the next.</summary>
        ReadOnlySpan<float> Next(long t)
        {
            var c = m.Config;
            int l = m.CacheLength, dh = c.HeadDim;
            if (filled >= l) throw new InvalidOperationException($"the static cache of {l} slots is full");
            token[0] = t;
            position[0] = c.IsEncoderDecoder ? filled : n + (filled - m.PromptLength);
            stepMask[l] = 1;                                                   // the token itself
            m.step.RunWithBinding(m.run, b);
            m.Record(b, calibB);
            foreach (var (cache, present) in caches)
                for (int h = 0; h < c.KvHeads; h++) Array.Copy(present, h * dh, cache, (h * l + filled) * dh, dh);
            stepMask[filled++] = 1;
            return logits;
        }

        public void Dispose()
        {
            a.Dispose();
            b.Dispose();
            foreach (var v in owned) v.Dispose();
        }
    }

    public void Dispose()
    {
        first.Dispose();
        step.Dispose();
        run.Dispose();
    }
}
