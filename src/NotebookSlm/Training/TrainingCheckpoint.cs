using System.Text.Json;
using NotebookSlm.Checkpoints;
using NotebookSlm.Models;
using NotebookSlm.Runtime;
using static TorchSharp.torch;

namespace NotebookSlm.Training;

/// <summary>Where a run stands after an optimizer step: everything besides tensors that an
/// exact resume needs (HF Trainer's trainer_state plus the RNG and data position).</summary>
public sealed record TrainerState
{
    public int Step { get; init; }
    /// <summary>The next micro-batch: epoch and index in that epoch's batch order.</summary>
    public int Epoch { get; init; }
    public int BatchIndex { get; init; }
    public long SourceTokens { get; init; }
    public long TargetTokens { get; init; }
    public long Examples { get; init; }
    public double BestValLoss { get; init; } = double.PositiveInfinity;
    public int BestStep { get; init; } = -1;
    public double TrainSeconds { get; init; }
    /// <summary>libtorch's global generator (dropout), base64.</summary>
    public string TorchRng { get; init; } = "";
    public TokenizerInfo? Tokenizer { get; init; }
}

/// <summary>The tokenizer a model was trained with; a mismatch on resume or evaluation is an error.</summary>
public sealed record TokenizerInfo(string Name, int VocabSize, int PadId, int BosId, int EosId)
{
    public static TokenizerInfo Of(Tokenization.ITokenizer t) => new(t.Name, t.VocabSize, t.PadId, t.BosId, t.EosId);
}

/// <summary>
/// A training checkpoint is a folder <c>step-000100</c> under the run's <c>checkpoints/</c>:
/// <c>config.json</c> and <c>model.safetensors</c> (fp32 master weights, loadable by
/// <see cref="Checkpoint.Load"/> like any model), <c>training.json</c>, <c>state.json</c>,
/// <c>optimizer.adamw</c> and <c>optimizer.muon.safetensors</c>. It is written under a
/// temporary name and renamed whole, so a reader (or a resume after SIGKILL) never sees half
/// of one. Checkpoints happen only at optimizer-step boundaries.
/// </summary>
public static class TrainingCheckpoint
{
    public const string StateFile = "state.json", TrainingFile = "training.json", AdamFile = "optimizer.adamw", MuonFile = "optimizer.muon.safetensors";
    const string Prefix = "step-";

    static readonly JsonSerializerOptions Json = JsonRecords.Measurements;

    public static string FolderName(int step) => $"{Prefix}{step:D6}";

    /// <summary>Writes a checkpoint for <paramref name="state"/>'s step and returns its folder.</summary>
    public static string Save(string checkpointsDir, ModelConfig model, TrainingConfig training, TrainingOptimizer optimizer, TrainerState state)
    {
        var final = Path.Combine(checkpointsDir, FolderName(state.Step));
        AtomicFolder.Write(final, temp =>
        {
            Checkpoint.WriteFiles(temp, model, optimizer.MasterWeights(), new Dictionary<string, string> { ["notebookslm.step"] = state.Step.ToString() });
            File.WriteAllText(Path.Combine(temp, TrainingFile), training.ToJson());
            optimizer.Save(Path.Combine(temp, AdamFile), Path.Combine(temp, MuonFile));
            File.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, Json));
        });
        return final;
    }

    /// <summary>Complete checkpoints of a run, oldest first (temporary folders are ignored).</summary>
    public static IReadOnlyList<(int Step, string Dir)> List(string checkpointsDir) =>
        !Directory.Exists(checkpointsDir) ? []
        : Directory.GetDirectories(checkpointsDir, Prefix + "*")
            .Select(d => (Name: Path.GetFileName(d), Dir: d))
            .Where(x => x.Name.Length == Prefix.Length + 6 && int.TryParse(x.Name.AsSpan(Prefix.Length), out _))
            .Select(x => (int.Parse(x.Name.AsSpan(Prefix.Length)), x.Dir))
            .OrderBy(x => x.Item1).ToList();

    /// <summary>Deletes all but the last <paramref name="keepLast"/> checkpoints and the best one,
    /// and leftovers of interrupted writes.</summary>
    public static void Prune(string checkpointsDir, int keepLast, int bestStep)
    {
        var all = List(checkpointsDir);
        foreach (var (step, dir) in all.Take(Math.Max(all.Count - keepLast, 0)))
            if (step != bestStep) Directory.Delete(dir, recursive: true);
        foreach (var tmp in Directory.GetDirectories(checkpointsDir, ".tmp-*").Concat(Directory.GetDirectories(checkpointsDir, ".old-*")))
            Directory.Delete(tmp, recursive: true);
    }

    public static TrainerState ReadState(string dir)
    {
        var path = Path.Combine(dir, StateFile);
        if (!File.Exists(path)) throw new CheckpointException($"{dir}: no {StateFile}; not a training checkpoint (a model-only folder cannot resume a run)");
        try { return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), Json) ?? throw new CheckpointException($"{path}: empty"); }
        catch (JsonException e) { throw new CheckpointException($"{path}: unreadable trainer state ({e.Message})"); }
    }

    /// <summary>Restores the optimizer (master weights, moments) and the model from a checkpoint
    /// folder, after checking that it belongs to this model and run configuration.</summary>
    public static TrainerState Restore(string dir, ModelConfig model, TrainingConfig training, TrainingOptimizer optimizer)
    {
        var state = ReadState(dir);
        var saved = ModelConfig.Load(Path.Combine(dir, Checkpoint.ConfigFile));
        if (saved.ToJson() != model.ToJson())
            throw new CheckpointException($"{dir}: checkpoint of model '{saved.Name}' ({saved.Architecture}, d_model {saved.DModel}, {saved.TotalLayers} layers) does not match the run's model '{model.Name}' ({model.Architecture}, d_model {model.DModel}, {model.TotalLayers} layers)");
        var savedTraining = TrainingConfig.Load(Path.Combine(dir, TrainingFile));
        if (savedTraining.ToJson() != training.ToJson())
            throw new CheckpointException($"{dir}: the training configuration differs from the one this checkpoint was made with; resume with the same configuration ({Path.Combine(dir, TrainingFile)})");
        var weightsPath = Path.Combine(dir, Checkpoint.WeightsFile);
        if (!File.Exists(weightsPath)) throw new CheckpointException($"{dir}: no {Checkpoint.WeightsFile}");
        var weights = SafeTensors.Load(weightsPath);
        try
        {
            foreach (var a in optimizer.Groups)
            {
                if (!weights.TryGetValue(a.Name, out var w)) throw new CheckpointException($"{weightsPath}: tensor '{a.Name}' missing");
                if (!w.shape.SequenceEqual(a.Shape)) throw new CheckpointException($"{weightsPath}: tensor '{a.Name}' has shape [{string.Join(", ", w.shape)}], the model [{string.Join(", ", a.Shape)}]");
            }
            optimizer.LoadMasters(weights);
        }
        finally { foreach (var t in weights.Values) t.Dispose(); }
        optimizer.Load(Path.Combine(dir, AdamFile), Path.Combine(dir, MuonFile));
        if (state.TorchRng.Length > 0)
        {
            var bytes = Convert.FromBase64String(state.TorchRng);
            using var rng = tensor(bytes, device: TorchSharp.torch.CPU);   // the CPU generator's state
            TorchSharp.torch.random.set_rng_state(rng);
        }
        return state;
    }

    public static string CaptureRng()
    {
        using var rng = TorchSharp.torch.random.get_rng_state();
        return Convert.ToBase64String(rng.data<byte>().ToArray());
    }
}
