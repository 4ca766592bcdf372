using System.CommandLine;
using NotebookSlm.Benchmarks;
using NotebookSlm.Checkpoints;
using NotebookSlm.Export.Onnx;
using NotebookSlm.Models;
using NotebookSlm.Runtime;

namespace NotebookSlm.Cli.Commands;

/// <summary><c>slm export onnx</c>: a checkpoint or a random-weight preset as ONNX graphs.</summary>
static class ExportCommand
{
    public static Command Create()
    {
        var export = new Command("export", "export models to other runtimes");
        var preset = new Option<string?>("--preset") { Description = "random-weight preset (speed studies)" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "checkpoint folder" };
        var weights = new Option<string>("--weights") { Description = "fp32, int8 or int4 (MatMulNBits)", DefaultValueFactory = _ => "fp32" };
        var output = new Option<string?>("--out") { Description = "output folder (default artifacts/onnx/<preset>-<weights>-seed1)" };
        var positions = new Option<int>("--max-positions") { DefaultValueFactory = _ => 8192 };
        var onnx = new Command("onnx", "encoder_model.onnx + decoder_model.onnx, or model.onnx, with model_description.json")
            { preset, checkpoint, weights, output, positions };
        onnx.SetAction(r => Cli.Run(() =>
        {
            TorchRuntime.EnsureLoaded();
            var w = BenchCommands.ParseWeights(r.GetValue(weights)!);
            var (model, dir) = (r.GetValue(checkpoint), r.GetValue(preset)) switch
            {
                ({ } ckpt, null) => (Checkpoint.Load(ckpt), r.GetValue(output) ?? Path.Combine(ckpt, "onnx-" + r.GetValue(weights))),
                (null, { } name) => (LanguageModel.Create(Presets.Get(name), 1),
                                     r.GetValue(output) ?? Latency.ExportDirectory(Presets.Get(name), new LatencyOptions { Weights = w })),
                _ => throw new ArgumentException("give exactly one of --preset or --checkpoint"),
            };
            var result = OnnxExport.Save(model, dir, new OnnxExportOptions { Weights = w, MaxPositions = r.GetValue(positions) });
            foreach (var (file, bytes) in result.WeightBytes) Console.WriteLine($"{Path.Combine(dir, file)}: {bytes / 1048576.0:F1} MiB of weights");
            return 0;
        }));
        export.Subcommands.Add(onnx);
        export.Subcommands.Add(Static(preset, checkpoint, output));
        export.Subcommands.Add(Gguf());
        export.Subcommands.Add(ReleasedCommands.Export());
        return export;
    }

    /// <summary><c>slm export onnx-static</c>: the NPU-ready graphs (fixed shapes, standard
    /// operators, optional QDQ calibrated on a text file's paragraphs).</summary>
    static Command Static(Option<string?> preset, Option<string?> checkpoint, Option<string?> output)
    {
        var promptLength = new Option<int>("--prompt-length") { DefaultValueFactory = _ => 512 };
        var maxNew = new Option<int>("--max-new-tokens") { DefaultValueFactory = _ => 128 };
        var qdq = new Option<string>("--qdq") { Description = "none, a8w8 or a16w8", DefaultValueFactory = _ => "none" };
        var calibration = new Option<string?>("--calibration") { Description = "text file; each paragraph (blank-line separated) is one calibration prompt" };
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer of the calibration text", DefaultValueFactory = _ => "phi-3.5" };
        var steps = new Option<int>("--calibration-tokens") { Description = "greedy tokens generated per calibration prompt", DefaultValueFactory = _ => 8 };
        var cmd = new Command("onnx-static", "static-shape graphs for NPUs (ONNX Runtime's QNN provider), fp32 or QDQ, with model_description.json")
            { preset, checkpoint, output, promptLength, maxNew, qdq, calibration, tokenizer, steps };
        cmd.SetAction(r => Cli.Run(() =>
        {
            TorchRuntime.EnsureLoaded();
            var mode = r.GetValue(qdq) switch
            {
                "none" => QdqMode.None, "a8w8" => QdqMode.A8W8, "a16w8" => QdqMode.A16W8,
                var other => throw new ArgumentException($"--qdq: unknown '{other}', expected none, a8w8 or a16w8"),
            };
            var model = (r.GetValue(checkpoint), r.GetValue(preset)) switch
            {
                ({ } ckpt, null) => Checkpoint.Load(ckpt),
                (null, { } name) => LanguageModel.Create(Presets.Get(name), 1),
                _ => throw new ArgumentException("give exactly one of --preset or --checkpoint"),
            };
            var o = new StaticExportOptions { PromptLength = r.GetValue(promptLength), MaxNewTokens = r.GetValue(maxNew) };
            var dir = r.GetValue(output) ?? Path.Combine("artifacts", "onnx-static", $"{model.Config.Name}-{r.GetValue(qdq)}");
            if (mode != QdqMode.None)
            {
                var file = r.GetValue(calibration) ?? throw new ArgumentException($"--qdq {r.GetValue(qdq)} needs --calibration FILE (real text to calibrate activation ranges on)");
                if (!File.Exists(file)) throw new FileNotFoundException($"{file}: calibration text not found", file);
                var tok = Tokenization.AutoTokenizer.Load(r.GetValue(tokenizer)!);
                var prompts = File.ReadAllText(file).Split(["\n\n", "\r\n\r\n"], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(p => tok.Encode(p).Take(o.PromptLength).ToArray()).Where(p => p.Length > 0).ToList();
                if (prompts.Count == 0) throw new ArgumentException($"{file}: no paragraph of text to calibrate on");
                if (prompts.SelectMany(p => p).Max() >= model.Config.VocabSize)
                    throw new ArgumentException($"{file}: tokenizer '{r.GetValue(tokenizer)}' makes ids beyond the model's vocabulary of {model.Config.VocabSize}");
                Console.WriteLine($"calibrating on {prompts.Count} paragraphs of {file}");
                o = o.With(mode, StaticExport.Calibrate(model, o, prompts, r.GetValue(steps), Path.GetFullPath(dir.TrimEnd(Path.DirectorySeparatorChar) + ".work")));
            }
            var result = StaticExport.Save(model, dir, o);
            foreach (var (f, bytes) in result.WeightBytes) Console.WriteLine($"{Path.Combine(dir, f)}: {bytes / 1048576.0:F1} MiB of weights");
            return 0;
        }));
        return cmd;
    }

    /// <summary><c>slm export gguf</c>: a Llama-style decoder-only as a llama-architecture GGUF for llama.cpp.</summary>
    static Command Gguf()
    {
        var preset = new Option<string?>("--preset") { Description = "random-weight preset (seed 1, the weights the speed studies use)" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "checkpoint folder (a Llama-style decoder-only)" };
        var llamaStyle = new Option<bool>("--llama-style") { Description = "the preset's Llama-style variant (SwiGLU, no biases, MLP re-solved to the same parameter count)" };
        var dtype = new Option<string>("--dtype") { Description = "f32 or f16 (norm gains stay f32)", DefaultValueFactory = _ => "f32" };
        var output = new Option<string>("--out") { Description = "output .gguf file", Required = true };
        var gguf = new Command("gguf", "llama-architecture GGUF v3 (token_embd, blk.N.*, output_norm) that llama.cpp loads")
            { preset, checkpoint, llamaStyle, dtype, output };
        gguf.SetAction(r => Cli.Run(() =>
        {
            TorchRuntime.EnsureLoaded();
            var type = r.GetValue(dtype) switch
            {
                "f32" or "fp32" => Export.Gguf.GgmlType.F32,
                "f16" or "fp16" => Export.Gguf.GgmlType.F16,
                var s => throw new ArgumentException($"unknown GGUF dtype '{s}': expected f32 or f16"),
            };
            ILanguageModel model = (r.GetValue(checkpoint), r.GetValue(preset)) switch
            {
                ({ } ckpt, null) => Checkpoint.Load(ckpt),
                (null, { } name) => LanguageModel.Create(r.GetValue(llamaStyle) ? LlamaStyle.Of(Presets.Get(name)) : LlamaStyle.Get(name), 1),
                _ => throw new ArgumentException("give exactly one of --preset or --checkpoint"),
            };
            var result = Export.Gguf.GgufExport.Save(model, r.GetValue(output)!, new Export.Gguf.GgufExportOptions { Dtype = type });
            Console.WriteLine($"{result.Path}: {model.Config.Name}, {result.Tensors} tensors ({result.Dtype}), {result.FileBytes / 1048576.0:F1} MiB, vocabulary {result.Vocabulary}");
            return 0;
        }));
        return gguf;
    }
}
