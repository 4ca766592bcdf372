using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookSlm.Training;

/// <summary>
/// Muon (Keller Jordan 2024, as in modded-nanogpt): SGD momentum whose update for each 2-D
/// hidden weight is replaced by the nearest semi-orthogonal matrix, computed by a quintic
/// Newton-Schulz iteration instead of an SVD. The paper trains with it (3.3).
/// </summary>
public static class Muon
{
    // Quintic coefficients tuned for fast convergence of small singular values; the result's
    // singular values land in roughly [0.7, 1.2] rather than exactly 1, which Muon tolerates.
    const double A = 3.4445, B = -4.7750, C = 2.0315;

    /// <summary>
    /// The approximate polar factor U V^T of a matrix G = U S V^T: X = G / (||G||_F + 1e-7), then
    /// <paramref name="steps"/> times X = aX + (bA + cA^2)X with A = X X^T, run on the wide
    /// orientation (rows &lt;= columns) so that A is the smaller Gram matrix. Pure: G is not changed.
    /// </summary>
    public static Tensor Orthogonalize(Tensor g, int steps = 5)
    {
        if (g.dim() != 2) throw new ArgumentException($"Muon orthogonalises matrices; got a tensor of {g.dim()} dimensions");
        using var scope = NewDisposeScope();
        bool tall = g.shape[0] > g.shape[1];
        var x = tall ? g.t() : g;                                                    // (r, c), r <= c
        x = x / (x.norm() + 1e-7);
        for (int i = 0; i < steps; i++)
        {
            var a = x.matmul(x.t());                                                 // (r, r)
            var b = a * B + a.matmul(a) * C;
            x = x * A + b.matmul(x);
        }
        return (tall ? x.t() : x).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The factor that sets the update's size: Keller's sqrt(max(1, rows/cols)), or
    /// Moonshot's 0.2 sqrt(max(rows, cols)), which matches AdamW's update RMS.</summary>
    public static double Scale(MuonScaling scaling, long rows, long cols) => scaling switch
    {
        MuonScaling.Keller => Math.Sqrt(Math.Max(1.0, rows / (double)cols)),
        _ => 0.2 * Math.Sqrt(Math.Max(rows, cols)),
    };
}

/// <summary>
/// The thin optimizer around <see cref="Muon.Orthogonalize"/>: per matrix, momentum buffer
/// m = mu m + g, update u = g + mu m (Nesterov) or m, then p = p (1 - lr wd) - lr scale O(u).
/// Its state (the momentum buffers) is saved by name so that a resumed run continues exactly.
/// </summary>
public sealed class MuonOptimizer : IDisposable
{
    readonly IReadOnlyList<(string Name, Parameter Param)> parameters;
    readonly Dictionary<string, Tensor> momentum = new();
    readonly TrainingConfig config;

    public MuonOptimizer(IReadOnlyList<(string Name, Parameter Param)> parameters, TrainingConfig config)
    {
        foreach (var (name, p) in parameters)
            if (p.dim() != 2) throw new ArgumentException($"Muon takes 2-D weights; '{name}' has shape [{string.Join(", ", p.shape)}]");
        this.parameters = parameters;
        this.config = config;
    }

    /// <summary>The learning rate this optimizer runs at for a schedule factor.</summary>
    public double LearningRate(double factor) => factor * (config.MuonScaling == MuonScaling.Keller ? config.MuonLr : config.Lr);

    public void Step(double factor)
    {
        double lr = LearningRate(factor);
        using var _ = no_grad();
        foreach (var (name, p) in parameters)
        {
            using var scope = NewDisposeScope();
            var g = p.grad;
            if (g is null) continue;
            if (!momentum.TryGetValue(name, out var m))
                momentum[name] = m = zeros_like(p).DetachFromDisposeScope();
            m.mul_(config.Momentum).add_(g);
            var u = config.Nesterov ? g.add(m, alpha: config.Momentum) : m;
            var o = Muon.Orthogonalize(u, config.NewtonSchulzSteps);
            if (config.WeightDecay > 0) p.mul_(1 - lr * config.WeightDecay);
            p.add_(o, alpha: -lr * Muon.Scale(config.MuonScaling, p.shape[0], p.shape[1]));
        }
    }

    /// <summary>Momentum buffers by parameter name (what a checkpoint saves).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> State() => momentum.Select(kv => (kv.Key, kv.Value));

    public void LoadState(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var names = parameters.Select(p => p.Name).ToHashSet();
        foreach (var key in state.Keys)
            if (!names.Contains(key)) throw new InvalidDataException($"{source}: Muon state for '{key}', which is not a Muon parameter of this model");
        foreach (var (name, p) in parameters)
            if (state.TryGetValue(name, out var t))
            {
                if (!t.shape.SequenceEqual(p.shape)) throw new InvalidDataException($"{source}: Muon momentum '{name}' has shape [{string.Join(", ", t.shape)}], the parameter [{string.Join(", ", p.shape)}]");
                momentum.Remove(name, out var old);
                old?.Dispose();
                momentum[name] = t.to(p.dtype).clone().DetachFromDisposeScope();
            }
    }

    public void Dispose() { foreach (var m in momentum.Values) m.Dispose(); momentum.Clear(); }
}
