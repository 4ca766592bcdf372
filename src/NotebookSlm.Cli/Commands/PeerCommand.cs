using System.CommandLine;
using System.Text.Json;
using NotebookSlm.Benchmarks;
using NotebookSlm.Checkpoints;
using NotebookSlm.Export.Gguf;
using NotebookSlm.Reporting;
using NotebookSlm.Runtime;

namespace NotebookSlm.Cli.Commands;

/// <summary><c>slm bench peer</c>: our ONNX Runtime loop against llama.cpp on the same Llama-style
/// decoder-only weights, with the Llama-style encoder-decoder beside (issue 4 point 7).</summary>
static class PeerCommand
{
    public static Command Create()
    {
        var decoderOnly = new Option<string>("--decoder-only") { Description = "decoder-only preset (its Llama-style variant is run)", DefaultValueFactory = _ => "330m-deconly" };
        var encoderDecoder = new Option<string>("--encoder-decoder") { Description = "encoder-decoder preset shown beside ('none' to skip)", DefaultValueFactory = _ => "330m-encdec-2_3" };
        var onnxWeights = new Option<string>("--onnx-weights") { Description = "our weights: fp32, int8, int4", DefaultValueFactory = _ => "fp32" };
        var llamaWeights = new Option<string>("--llama-weights") { Description = "llama.cpp weights: f32, f16", DefaultValueFactory = _ => "f32,f16" };
        var input = new Option<int>("--input") { DefaultValueFactory = _ => 512 };
        var output = new Option<int>("--output") { DefaultValueFactory = _ => 128 };
        var examples = new Option<int>("--examples") { DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => Environment.ProcessorCount };
        var profile = new Option<string>("--profile") { DefaultValueFactory = _ => "full" };
        var path = new Option<string?>("--out") { Description = "results JSON path" };
        var installOnly = new Option<bool>("--install-only") { Description = "install node-llama-cpp (llama.cpp's prebuilt CPU backends) into the cache, print where, and exit" };
        var cmd = new Command("peer", "llama.cpp (node-llama-cpp 3.21.1, prebuilt CPU) against our ONNX Runtime loop: decode and prefill tok/s ratios, and the 0.8x bar")
            { decoderOnly, encoderDecoder, onnxWeights, llamaWeights, input, output, examples, warmup, threads, profile, path, installOnly };
        cmd.SetAction(r => Cli.Run(() =>
        {
            if (r.GetValue(installOnly))
            {
                Console.WriteLine(LlamaCppPeer.EnsureInstalled(Console.Error.WriteLine));
                return 0;
            }
            TorchRuntime.EnsureLoaded();
            var machine = MachineProbe.Measure(r.GetValue(threads));
            var o = new PeerOptions
            {
                InputTokens = r.GetValue(input), OutputTokens = r.GetValue(output), Examples = r.GetValue(examples),
                Warmup = r.GetValue(warmup), Threads = r.GetValue(threads),
                OnnxWeights = Split(r.GetValue(onnxWeights)!).Select(BenchCommands.ParseWeights).ToArray(),
                LlamaWeights = Split(r.GetValue(llamaWeights)!).Select(w => w switch
                {
                    "f32" => GgmlType.F32, "f16" => GgmlType.F16,
                    _ => throw new ArgumentException($"unknown llama.cpp weights '{w}': expected f32 or f16"),
                }).ToArray(),
            };
            var encdec = r.GetValue(encoderDecoder) is "none" or "" ? null : Models.Presets.Get(r.GetValue(encoderDecoder)!);
            var result = PeerBench.Run(Models.Presets.Get(r.GetValue(decoderOnly)!), encdec, o, machine, Console.Error.WriteLine);
            Console.Write(PeerBench.RowsTable(result).ToText());
            Console.Write(PeerBench.RatiosTable(result).ToText());
            Console.WriteLine(PeerBench.Summary(result));
            if (r.GetValue(path) is { } file)
            {
                ResultsFile.Write(file, "peer", RunInfo.Capture(r.GetValue(profile)!, o.Threads), o, new { machine, peer = result });
                Console.WriteLine($"wrote {file}");
            }
            return 0;
        }));
        return cmd;
    }

    static string[] Split(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
