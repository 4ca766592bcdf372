using System.CommandLine;
using NotebookSlm.Checkpoints;
using NotebookSlm.Generation;
using NotebookSlm.Models;
using NotebookSlm.Runtime;
using NotebookSlm.Tokenization;
using TorchSharp;

namespace NotebookSlm.Cli.Commands;

/// <summary><c>slm generate</c>: run a checkpoint, or a randomly initialised preset, on a prompt.</summary>
static class GenerateCommand
{
    public static Command Create()
    {
        var preset = new Option<string?>("--preset") { Description = "random-weight preset (vocabulary set to the tokenizer's)" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "checkpoint folder (config.json + model.safetensors)" };
        var prompt = new Option<string>("--prompt") { Description = "input text", Required = true };
        var maxNew = new Option<int>("--max-new-tokens") { DefaultValueFactory = _ => 32 };
        var sample = new Option<bool>("--sample") { Description = "sample instead of greedy decoding" };
        var greedy = new Option<bool>("--greedy") { Description = "greedy decoding (the default)" };
        var temperature = new Option<double>("--temperature") { DefaultValueFactory = _ => 1.0 };
        var topK = new Option<int>("--top-k") { DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { DefaultValueFactory = _ => 1.0 };
        var seed = new Option<long>("--seed") { Description = "seed for weights (presets) and sampling", DefaultValueFactory = _ => 0 };
        var noCache = new Option<bool>("--no-cache") { Description = "recompute the decoder over all tokens at every step (released algorithm)" };
        var bf16 = new Option<bool>("--bf16") { Description = "run in bfloat16" };
        var cmd = new Command("generate", "generate text from a prompt and report timing")
            { preset, checkpoint, prompt, maxNew, sample, greedy, temperature, topK, topP, seed, noCache, bf16 };
        cmd.SetAction(r => Cli.Run(() =>
        {
            TorchRuntime.EnsureLoaded();
            ITokenizer tokenizer = new ByteTokenizer();
            var s = r.GetValue(seed);
            ILanguageModel model = (r.GetValue(checkpoint), r.GetValue(preset)) switch
            {
                ({ } dir, null) => Checkpoint.Load(dir),
                (null, { } name) => LanguageModel.Create(Presets.Get(name) with { VocabSize = tokenizer.VocabSize }, s),
                _ => throw new ArgumentException("give exactly one of --preset or --checkpoint"),
            };
            if (model.Config.VocabSize < tokenizer.VocabSize)
                throw new ArgumentException($"model vocabulary {model.Config.VocabSize} is smaller than the {tokenizer.Name} tokenizer's {tokenizer.VocabSize}");
            if (r.GetValue(bf16)) model.Module.to(torch.ScalarType.BFloat16);
            if (r.GetValue(sample) && r.GetValue(greedy)) throw new ArgumentException("--sample and --greedy exclude each other");
            var options = new GenerationOptions
            {
                MaxNewTokens = r.GetValue(maxNew), Greedy = !r.GetValue(sample), Temperature = r.GetValue(temperature),
                TopK = r.GetValue(topK), TopP = r.GetValue(topP), Seed = s, UseCache = !r.GetValue(noCache),
            };
            var input = tokenizer.Encode(r.GetValue(prompt)!);
            if (input.Length == 0) throw new ArgumentException("--prompt is empty");
            var result = model.Generate([input], options);
            var ids = result.Tokens[0];
            Console.WriteLine($"model: {model.Config.Name} ({model.Config.Architecture}), {Accounting.ParameterCounts.Of(model.Config).Total:N0} parameters, tokenizer {tokenizer.Name}");
            Console.WriteLine($"input: {input.Length} tokens; generated {ids.Length} tokens ({(options.Greedy ? "greedy" : "sampled")}, {(options.UseCache ? "KV cache" : "no cache")})");
            Console.WriteLine($"ids: {string.Join(' ', ids)}");
            Console.WriteLine($"tokens: {string.Join(' ', ids.Select(tokenizer.TokenText))}");
            Console.WriteLine($"text: {tokenizer.Decode(ids)}");
            Console.WriteLine($"first token: {result.FirstTokenMs:F1} ms; decode: {result.DecodeTokensPerSecond:F1} tokens/s over {result.Steps - 1} tokens");
            return 0;
        }));
        return cmd;
    }
}
