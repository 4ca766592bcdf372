using System.CommandLine;
using System.Text.Json;
using NotebookSlm.Checkpoints;
using NotebookSlm.Corpora;
using NotebookSlm.Data;
using NotebookSlm.Data.Readers;
using NotebookSlm.Runtime;
using NotebookSlm.Tokenization;
using NotebookSlm.Training;

namespace NotebookSlm.Cli.Commands;

/// <summary><c>slm eval</c>: a checkpoint over a task split, with batched, KV-cached greedy
/// generation; writes predictions.jsonl and metrics.json and prints the metrics.</summary>
static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "checkpoint folder (config.json + model.safetensors)", Required = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "the tokenizer the model was trained with", Required = true };
        var data = new Option<string>("--data") { Description = "task corpus folder (e.g. artifacts/data/qa-local)", Required = true };
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "val", Description = "val or test" };
        var output = new Option<string?>("--out") { Description = "folder for predictions.jsonl and metrics.json (default: beside the checkpoint)" };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 16 };
        var maxNew = new Option<int>("--max-new-tokens") { DefaultValueFactory = _ => 64 };
        var maxSource = new Option<int>("--max-source-length") { DefaultValueFactory = _ => 1024 };
        var limit = new Option<int>("--limit") { Description = "first N examples only (0: all)", DefaultValueFactory = _ => 0 };
        var stem = new Option<bool>("--stem") { Description = "Porter-stem tokens for ROUGE" };
        var cmd = new Command("eval", "evaluate a checkpoint on a task split: ROUGE-1/2/L/Lsum, and SQuAD 2.0 EM/F1 for QA")
            { checkpoint, tokenizer, data, split, output, batch, maxNew, maxSource, limit, stem };
        cmd.SetAction(r => Cli.Run(() =>
        {
            TorchRuntime.EnsureLoaded();
            var dir = r.GetValue(checkpoint)!;
            var model = Checkpoint.Load(dir);
            var tok = AutoTokenizer.Load(r.GetValue(tokenizer)!);
            var dataDir = r.GetValue(data)!;
            var s = r.GetValue(split)!;
            var pairs = CorpusSplits.Pairs(dataDir, s).ToList();
            if (r.GetValue(limit) > 0) pairs = pairs.Take(r.GetValue(limit)).ToList();
            if (pairs.Count == 0) throw new InvalidDataException($"{dataDir}: no examples in split '{s}'");
            var m = Manifest.Read(dataDir);
            IEnumerable<QaReference>? qa = m.Format == "squad" ? Tasks.QaReferences(SquadJson.Read(m.SplitPath(dataDir, s)!)) : null;
            var (predictions, seconds, tokens) = TaskEvaluation.Predict(model, tok, pairs, r.GetValue(batch), r.GetValue(maxNew), r.GetValue(maxSource));
            var scores = TaskEvaluation.Score(predictions, qa, r.GetValue(stem), seconds, tokens);
            var outDir = r.GetValue(output) ?? Path.Combine(dir, $"eval-{m.Name}-{s}");
            Directory.CreateDirectory(outDir);
            AtomicFile.WriteText(Path.Combine(outDir, "predictions.jsonl"),
                string.Concat(predictions.Select(p => JsonSerializer.Serialize(new { id = p.Id, prediction = p.Output, reference = p.Reference }) + "\n")));
            var metrics = new
            {
                checkpoint = dir, data = dataDir, split = s, examples = scores.Examples,
                rouge = scores.Rouge.Named().ToDictionary(n => n.Name, n => new { precision = n.Score.Precision, recall = n.Score.Recall, fmeasure = n.Score.FMeasure }),
                squad = scores.Squad is null ? null : new Dictionary<string, double>
                {
                    ["exact"] = scores.Squad.All.Exact, ["f1"] = scores.Squad.All.F1, ["total"] = scores.Squad.All.Total,
                    ["HasAns_exact"] = scores.Squad.HasAns?.Exact ?? double.NaN, ["HasAns_f1"] = scores.Squad.HasAns?.F1 ?? double.NaN,
                    ["NoAns_exact"] = scores.Squad.NoAns?.Exact ?? double.NaN, ["NoAns_f1"] = scores.Squad.NoAns?.F1 ?? double.NaN,
                },
                generation_seconds = scores.Seconds, generated_tokens_per_second = scores.GeneratedTokensPerSecond,
            };
            var json = JsonSerializer.Serialize(metrics, Cli.Json);   // results options: NaN written, not refused
            AtomicFile.WriteText(Path.Combine(outDir, "metrics.json"), json);
            Console.WriteLine(json);
            return 0;
        }));
        return cmd;
    }
}
