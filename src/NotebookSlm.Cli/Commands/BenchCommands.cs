using System.CommandLine;
using System.Text.Json;
using NotebookSlm.Benchmarks;
using NotebookSlm.Checkpoints;
using NotebookSlm.Models;
using NotebookSlm.Reporting;
using NotebookSlm.Runtime;
using TorchSharp;

namespace NotebookSlm.Cli.Commands;

/// <summary><c>slm bench ...</c>: benchmarks that write results files (never timed tests).</summary>
static class BenchCommands
{
    public static Command Create()
    {
        var bench = new Command("bench", "benchmarks; each writes a JSON results file stamped with commit and machine");
        bench.Subcommands.Add(Generate());
        bench.Subcommands.Add(LatencyCommand());
        bench.Subcommands.Add(MemoryCommand());
        bench.Subcommands.Add(PeerCommand.Create());
        return bench;
    }

    static Command Generate()
    {
        var presets = new Option<string>("--presets") { DefaultValueFactory = _ => "tiny-encdec-2_3,tiny-deconly,330m-encdec-2_3,330m-deconly" };
        var input = new Option<int>("--input") { DefaultValueFactory = _ => 128 };
        var newTokens = new Option<int>("--new-tokens") { DefaultValueFactory = _ => 64 };
        var repeats = new Option<int>("--repeats") { DefaultValueFactory = _ => 3 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 1 };
        var profile = new Option<string>("--profile") { Description = "smoke or full (recorded in the results)", DefaultValueFactory = _ => "full" };
        var output = new Option<string?>("--out") { Description = "results JSON path" };
        var cmd = new Command("generate", "KV-cached generation against full recomputation at every step (the released algorithm)")
            { presets, input, newTokens, repeats, batch, profile, output };
        cmd.SetAction(r => Cli.Run(() =>
        {
            TorchRuntime.EnsureLoaded();
            var results = new List<GenerationBenchResult>();
            foreach (var name in r.GetValue(presets)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                results.Add(GenerationBench.Run(Models.Presets.Get(name), r.GetValue(input), r.GetValue(newTokens), r.GetValue(batch),
                    r.GetValue(repeats), log: Console.Error.WriteLine));
            Console.Write(GenerationBench.Table(results).ToText());
            if (r.GetValue(output) is { } path)
            {
                var parameters = new { presets = r.GetValue(presets), input = r.GetValue(input), new_tokens = r.GetValue(newTokens),
                                       repeats = r.GetValue(repeats), batch = r.GetValue(batch), dtype = "fp32" };
                ResultsFile.Write(path, "bench-generate", RunInfo.Capture(r.GetValue(profile)!, torch.get_num_threads()), parameters, new { rows = results });
                Console.WriteLine($"wrote {path}");
            }
            return 0;
        }));
        return cmd;
    }

    static Command LatencyCommand()
    {
        var presets = new Option<string>("--presets") { DefaultValueFactory = _ => "330m-encdec-2_3,330m-deconly" };
        var backends = new Option<string>("--backends") { Description = "torch, onnx, onnx-cuda", DefaultValueFactory = _ => "torch,onnx" };
        var weights = new Option<string>("--weights") { Description = "ONNX weights: fp32, int8, int4", DefaultValueFactory = _ => "fp32" };
        var input = new Option<int>("--input") { DefaultValueFactory = _ => 512 };
        var output = new Option<int>("--output") { DefaultValueFactory = _ => 128 };
        var examples = new Option<int>("--examples") { DefaultValueFactory = _ => 100 };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 2 };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => Environment.ProcessorCount };
        var profile = new Option<string>("--profile") { DefaultValueFactory = _ => "full" };
        var path = new Option<string?>("--out") { Description = "results JSON path" };
        var cmd = new Command("latency", "first-token latency and decode throughput (paper Table 2), with this machine's roofline")
            { presets, backends, weights, input, output, examples, warmup, threads, profile, path };
        cmd.SetAction(r => Cli.Run(() =>
        {
            TorchRuntime.EnsureLoaded();
            var machine = MachineProbe.Measure(r.GetValue(threads));
            Console.Error.WriteLine($"machine: read {machine.ReadGBps:F1} GB/s, triad {machine.TriadGBps:F1} GB/s, matmul {machine.MatmulGflops:F0} GFLOP/s, {machine.Threads} threads");
            var results = new List<LatencyResult>();
            foreach (var name in Split(r.GetValue(presets)!))
                foreach (var backend in Split(r.GetValue(backends)!).Select(ParseBackend))
                    foreach (var w in backend == LatencyBackend.TorchSharp ? ["fp32"] : Split(r.GetValue(weights)!))
                    {
                        var o = new LatencyOptions
                        {
                            InputTokens = r.GetValue(input), OutputTokens = r.GetValue(output), Examples = r.GetValue(examples),
                            Warmup = r.GetValue(warmup), Threads = r.GetValue(threads), Weights = ParseWeights(w),
                        };
                        results.Add(Latency.Run(Models.Presets.Get(name), backend, o, machine, Console.Error.WriteLine));
                    }
            Console.Write(Latency.Table(results).ToText());
            if (r.GetValue(path) is { } file)
            {
                var parameters = new { presets = r.GetValue(presets), backends = r.GetValue(backends), weights = r.GetValue(weights),
                                       input = r.GetValue(input), output = r.GetValue(output), examples = r.GetValue(examples),
                                       warmup = r.GetValue(warmup) };
                ResultsFile.Write(file, "latency", RunInfo.Capture(r.GetValue(profile)!, r.GetValue(threads)), parameters, new { machine, rows = results });
                Console.WriteLine($"wrote {file}");
            }
            return 0;
        }));
        return cmd;
    }

    static Command MemoryCommand()
    {
        var preset = new Option<string>("--preset") { Required = true };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 1 };
        var input = new Option<int>("--input") { DefaultValueFactory = _ => 4096 };
        var output = new Option<int>("--output") { DefaultValueFactory = _ => 256 };
        var weights = new Option<string>("--weights") { DefaultValueFactory = _ => "fp32" };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("memory", "peak resident memory of one ONNX Runtime generation run (one configuration per process); prints JSON")
            { preset, batch, input, output, weights, threads };
        cmd.SetAction(r => Cli.Run(() =>
        {
            var o = new LatencyOptions { InputTokens = r.GetValue(input), OutputTokens = r.GetValue(output), Weights = ParseWeights(r.GetValue(weights)!) };
            // Exporting here would put the TorchSharp model's memory into this process's peak.
            var dir = Latency.ExportDirectory(Models.Presets.Get(r.GetValue(preset)!), o);
            if (!Export.Onnx.OnnxExport.Matches(dir, Models.Presets.Get(r.GetValue(preset)!), o.Weights, o.InputTokens + o.OutputTokens))
                throw new ArgumentException($"{dir}: no matching export; run `slm export onnx --preset {r.GetValue(preset)} --weights {r.GetValue(weights)}` first");
            var result = PeakMemory.Measure(dir, r.GetValue(batch), o.InputTokens, o.OutputTokens, r.GetValue(threads));
            Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }));
        return cmd;
    }

    static string[] Split(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    static LatencyBackend ParseBackend(string s) => s switch
    {
        "torch" or "torchsharp" => LatencyBackend.TorchSharp,
        "onnx" or "onnx-cpu" => LatencyBackend.OnnxCpu,
        "onnx-cuda" => LatencyBackend.OnnxCuda,
        _ => throw new ArgumentException($"unknown backend '{s}': expected torch, onnx or onnx-cuda"),
    };

    internal static Export.Onnx.OnnxWeights ParseWeights(string s) => s switch
    {
        "fp32" => Export.Onnx.OnnxWeights.Fp32,
        "int8" => Export.Onnx.OnnxWeights.Int8,
        "int4" => Export.Onnx.OnnxWeights.Int4,
        _ => throw new ArgumentException($"unknown weight format '{s}': expected fp32, int8 or int4"),
    };
}
