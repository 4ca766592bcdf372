using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;

namespace NotebookSlm.Training;

/// <summary>One optimizer step as logged.</summary>
public sealed record StepLog(int Step, double Loss, double Lr, double GradNorm, double TokensPerSecond, double StepSeconds,
    long SourceTokens, long TargetTokens, long TokensSeen, int Epoch);

/// <summary>A generation logged at evaluation: the source, the reference and the model's greedy output.</summary>
public sealed record SampleLog(string Source, string Reference, string Prediction);

public sealed record EvalLog(int Step, double ValLoss, IReadOnlyList<SampleLog> Samples);

/// <summary>
/// <c>metrics.jsonl</c> (one JSON object a line: <c>{"type": "train"|"eval", "step", ...}</c>,
/// flushed per line so a killed run keeps what it logged) and TensorBoard event files written
/// by TorchSharp's own <c>SummaryWriter</c> under <c>tensorboard/</c>.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    readonly StreamWriter jsonl;
    readonly TorchSharp.Modules.SummaryWriter? board;
    static readonly JsonSerializerOptions Json = new(Runtime.JsonRecords.Measurements) { WriteIndented = false };

    public string Path { get; }

    /// <summary>Opens the log of a run in <paramref name="dir"/>. On resume from step
    /// <paramref name="resumeStep"/>, lines of later steps (written after that checkpoint by
    /// the interrupted run) are dropped first, so the log reads as one uninterrupted run.</summary>
    public MetricsLog(string dir, int? resumeStep, bool tensorBoard = true)
    {
        Directory.CreateDirectory(dir);
        Path = System.IO.Path.Combine(dir, "metrics.jsonl");
        if (resumeStep is int keep && File.Exists(Path))
        {
            var kept = File.ReadLines(Path).Where(l => l.Length > 0 && StepOf(l) is int s && s <= keep).ToList();
            Runtime.AtomicFile.WriteText(Path, kept.Count == 0 ? "" : string.Join("\n", kept) + "\n");
        }
        else if (resumeStep is null && File.Exists(Path)) File.Delete(Path);
        jsonl = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read));
        if (tensorBoard) board = torch.utils.tensorboard.SummaryWriter(System.IO.Path.Combine(dir, "tensorboard"), "", false);
    }

    static int? StepOf(string line)
    {
        try { return JsonNode.Parse(line)?["step"]?.GetValue<int>(); }
        catch (JsonException) { return null; }   // a line cut by a kill mid-write
    }

    public void Train(StepLog s)
    {
        Write(new { type = "train", s.Step, s.Loss, s.Lr, s.GradNorm, s.TokensPerSecond, s.StepSeconds, s.SourceTokens, s.TargetTokens, s.TokensSeen, s.Epoch });
        board?.add_scalar("train/loss", (float)s.Loss, s.Step);
        board?.add_scalar("train/lr", (float)s.Lr, s.Step);
        board?.add_scalar("train/grad_norm", (float)s.GradNorm, s.Step);
        board?.add_scalar("train/tokens_per_second", (float)s.TokensPerSecond, s.Step);
    }

    public void Eval(EvalLog e)
    {
        Write(new { type = "eval", e.Step, e.ValLoss, e.Samples });
        board?.add_scalar("val/loss", (float)e.ValLoss, e.Step);
        foreach (var (sample, i) in e.Samples.Select((x, i) => (x, i)))
            board?.add_text($"samples/{i}", $"{sample.Prediction}\n\n(reference: {sample.Reference})", e.Step);
    }

    void Write(object line)
    {
        jsonl.WriteLine(JsonSerializer.Serialize(line, Json));
        jsonl.Flush();
    }

    /// <summary>The train lines of a metrics file: step to loss (what the resume test compares).</summary>
    public static IReadOnlyList<(int Step, double Loss)> ReadLosses(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!)
            .Where(n => (string?)n["type"] == "train").Select(n => (n["step"]!.GetValue<int>(), n["loss"]!.GetValue<double>())).ToList();

    public void Dispose() { jsonl.Dispose(); }
}
