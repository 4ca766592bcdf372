using NotebookSlm.Models;
using NotebookSlm.Reporting;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookSlm.Training;

/// <summary>Which optimizer and settings a parameter gets.</summary>
public enum ParameterGroup
{
    /// <summary>2-D hidden weights (attention and MLP projections) under Muon.</summary>
    Muon,
    /// <summary>AdamW with weight decay: tensors of two or more dimensions (embeddings, the head,
    /// and every matrix when the optimizer is AdamW).</summary>
    AdamWDecay,
    /// <summary>AdamW without decay: norm gains and biases (the released trainer decays only dim >= 2).</summary>
    AdamWNoDecay,
}

public sealed record ParameterAssignment(string Name, ParameterGroup Group, long[] Shape, long Count);

/// <summary>The split of parameters into optimizer groups, in one visible function.</summary>
public static class ParameterGroups
{
    /// <summary>
    /// Muon only for 2-D hidden weights: the token embedding (<c>transformer.wte</c>, also the tied
    /// head) and an untied <c>lm_head</c> are lookups and classifiers, not linear maps between
    /// hidden states, so they stay with AdamW (modded-nanogpt and DESIGN: Keller's rule).
    /// Vectors (norm gains, biases) take AdamW without weight decay.
    /// </summary>
    public static IReadOnlyList<ParameterAssignment> Assign(ILanguageModel model, OptimizerKind optimizer) =>
        model.Module.named_parameters().Select(np =>
        {
            var (name, p) = np;
            bool embeddingOrHead = name.Contains("wte.") || name.StartsWith("lm_head.", StringComparison.Ordinal);
            var group = p.dim() < 2 ? ParameterGroup.AdamWNoDecay
                : optimizer == OptimizerKind.Muon && p.dim() == 2 && !embeddingOrHead ? ParameterGroup.Muon
                : ParameterGroup.AdamWDecay;
            return new ParameterAssignment(name, group, p.shape, p.numel());
        }).ToList();

    /// <summary>One row per group: tensors, parameters, learning rate and weight decay (printed at start).</summary>
    public static Table Summary(IReadOnlyList<ParameterAssignment> groups, TrainingConfig c)
    {
        var table = new Table("group", "tensors", "parameters", "lr", "weight decay", "examples");
        foreach (var g in groups.GroupBy(a => a.Group).OrderBy(g => g.Key))
        {
            double lr = g.Key == ParameterGroup.Muon && c.MuonScaling == MuonScaling.Keller ? c.MuonLr : c.Lr;
            table.Add(g.Key.ToString(), g.Count(), Table.Count(g.Sum(a => a.Count)), lr, g.Key == ParameterGroup.AdamWNoDecay ? 0.0 : c.WeightDecay,
                string.Join(", ", g.Take(2).Select(a => a.Name)) + (g.Count() > 2 ? ", ..." : ""));
        }
        return table;
    }
}

/// <summary>
/// Everything that updates weights: fp32 master copies when the model runs in bf16 (TorchSharp
/// has no autocast; master weights and optimizer state stay fp32), gradient clipping, the
/// schedule, TorchSharp's AdamW for its groups and <see cref="MuonOptimizer"/> for the matrices.
/// </summary>
public sealed class TrainingOptimizer : IDisposable
{
    readonly TrainingConfig config;
    readonly List<(Parameter Model, Parameter Master)> pairs = [];
    readonly AdamW? adam;
    readonly MuonOptimizer? muon;
    readonly bool separateMasters;

    public IReadOnlyList<ParameterAssignment> Groups { get; }
    /// <summary>The learning rate of the AdamW groups at the last step.</summary>
    public double LastLr { get; private set; }

    public TrainingOptimizer(ILanguageModel model, TrainingConfig config)
    {
        this.config = config;
        Groups = ParameterGroups.Assign(model, config.Optimizer);
        // BF16: keep fp32 copies of the weights as they are now, then cast the model, so a
        // fine-tuning start point is not rounded. Module.to replaces the parameter objects,
        // so the pairs are made by name afterwards.
        Dictionary<string, Tensor>? fp32 = null;
        if (config.Precision == Precision.Bf16)
        {
            using (no_grad())
                fp32 = model.Module.named_parameters().ToDictionary(np => np.name, np => np.parameter.detach().to(ScalarType.Float32).clone());
            model.Module.to(ScalarType.BFloat16);
        }
        var byName = model.Module.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        separateMasters = byName.Values.Any(p => p.dtype != ScalarType.Float32);
        var masters = new Dictionary<string, Parameter>();
        foreach (var a in Groups)
        {
            var p = byName[a.Name];
            var master = !separateMasters ? p
                : new Parameter(fp32?[a.Name] ?? p.detach().to(ScalarType.Float32).clone(), requires_grad: true);
            masters[a.Name] = master;
            pairs.Add((p, master));
        }
        IEnumerable<Parameter> Of(ParameterGroup g) => Groups.Where(a => a.Group == g).Select(a => masters[a.Name]);
        var adamGroups = new List<AdamW.ParamGroup>();
        foreach (var (g, wd) in new[] { (ParameterGroup.AdamWDecay, config.WeightDecay), (ParameterGroup.AdamWNoDecay, 0.0) })
        {
            var ps = Of(g).ToList();
            if (ps.Count > 0) adamGroups.Add(new AdamW.ParamGroup(ps, config.Lr, config.Beta1, config.Beta2, config.Eps, wd));
        }
        if (adamGroups.Count > 0) adam = new AdamW(adamGroups, config.Lr, config.Beta1, config.Beta2, config.Eps, config.WeightDecay);
        var muonParams = Groups.Where(a => a.Group == ParameterGroup.Muon).Select(a => (a.Name, masters[a.Name])).ToList();
        if (muonParams.Count > 0) muon = new MuonOptimizer(muonParams, config);
    }

    /// <summary>The fp32 weights the optimizer updates, by name (the model's own parameters in fp32 training).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> MasterWeights() =>
        Groups.Select((a, i) => (a.Name, (Tensor)pairs[i].Master));

    /// <summary>
    /// One optimizer step at schedule factor <paramref name="factor"/>: move gradients to the
    /// masters, clip by global norm, update, copy the masters back into the (bf16) model.
    /// Returns the gradient norm before clipping; when it is not finite nothing is updated
    /// and <paramref name="finite"/> is false.
    /// </summary>
    public double Step(double factor, out bool finite)
    {
        using var scope = NewDisposeScope();
        using (no_grad())
            if (separateMasters)
                foreach (var (p, m) in pairs)
                    m.grad = p.grad?.to(ScalarType.Float32);   // the master holds its own reference
        var masters = pairs.Select(pm => pm.Master).Where(m => m.grad is not null).ToList();
        double norm = config.ClipNorm > 0
            ? nn.utils.clip_grad_norm_(masters, config.ClipNorm)
            : GradNorm(masters);
        finite = double.IsFinite(norm);
        if (!finite) return norm;
        LastLr = factor * config.Lr;
        if (adam is not null)
        {
            foreach (var g in adam.ParamGroups) g.LearningRate = LastLr;
            adam.step();
        }
        muon?.Step(factor);
        if (separateMasters)
            using (no_grad())
                foreach (var (p, m) in pairs) p.copy_(m);
        return norm;
    }

    static double GradNorm(IEnumerable<Parameter> ps)
    {
        using var scope = NewDisposeScope();
        double sum = 0;
        foreach (var p in ps) sum += p.grad!.to(ScalarType.Float64).pow(2).sum().item<double>();
        return Math.Sqrt(sum);
    }

    public void ZeroGrad()
    {
        foreach (var (p, m) in pairs)
        {
            p.grad = null;
            if (separateMasters) m.grad = null;
        }
    }

    // ---- state for exact resume ----

    /// <summary>Writes AdamW's state (TorchSharp's own format) and Muon's momentum buffers.</summary>
    public void Save(string adamPath, string muonPath)
    {
        if (adam is not null)
            Runtime.AtomicFile.Write(adamPath, s => { using var w = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true); adam.save_state_dict(w); });
        if (muon is not null) Checkpoints.SafeTensors.Save(muonPath, muon.State().ToList());
    }

    public void Load(string adamPath, string muonPath)
    {
        if (adam is not null)
        {
            if (!File.Exists(adamPath)) throw new Checkpoints.CheckpointException($"{adamPath}: AdamW state missing from the checkpoint");
            try { using var r = new BinaryReader(File.OpenRead(adamPath)); adam.load_state_dict(r); }
            catch (Exception e) when (e is EndOfStreamException or ArgumentException or InvalidOperationException or IOException)
            { throw new Checkpoints.CheckpointException($"{adamPath}: unreadable AdamW state ({e.Message})"); }
        }
        if (muon is not null && File.Exists(muonPath))
        {
            var state = Checkpoints.SafeTensors.Load(muonPath);
            try { muon.LoadState(state, muonPath); }
            finally { foreach (var t in state.Values) t.Dispose(); }
        }
    }

    /// <summary>Loads master weights saved by a checkpoint (fp32), and the model from them.</summary>
    public void LoadMasters(IReadOnlyDictionary<string, Tensor> weights)
    {
        using var _ = no_grad();
        for (int i = 0; i < Groups.Count; i++)
        {
            var (p, m) = pairs[i];
            m.copy_(weights[Groups[i].Name]);
            if (separateMasters) p.copy_(m);
        }
    }

    public void Dispose()
    {
        adam?.Dispose();
        muon?.Dispose();
        if (separateMasters) foreach (var (_, m) in pairs) m.Dispose();
    }
}
