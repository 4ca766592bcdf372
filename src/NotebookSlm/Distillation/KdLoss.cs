using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace NotebookSlm.Distillation;

/// <summary>Which divergence the KD term measures between the teacher's distribution T and the
/// student's S at each target position.</summary>
public enum Divergence
{
    /// <summary>KL(T || S): mass-covering, what the paper and the released script use.</summary>
    ForwardKl,
    /// <summary>KL(S || T): mode-seeking.</summary>
    ReverseKl,
    /// <summary>Generalised Jensen-Shannon with weight beta (Agarwal et al. 2024, TRL's GKD):
    /// beta KL(T || M) + (1 - beta) KL(S || M), M = beta T + (1 - beta) S. It tends to 0 as beta
    /// goes to 0 or 1, so beta = 0 and 1 are defined, as GKD defines them, as forward and reverse KL.</summary>
    Jsd,
}

/// <summary>The distillation loss (paper 3.2): alpha tau^2 D(T_tau, S_tau) + (1 - alpha) CE.</summary>
public sealed record KdLossOptions
{
    public Divergence Divergence { get; init; } = Divergence.ForwardKl;
    /// <summary>JSD's weight on the teacher, in [0, 1].</summary>
    public double Beta { get; init; } = 0.5;
    /// <summary>Temperature of both distributions; the KD term is scaled by tau^2 so that its
    /// gradients keep their size as tau changes (Hinton et al. 2015).</summary>
    public double Tau { get; init; } = 1.0;
    /// <summary>Weight of the KD term; 1 - alpha weighs the cross-entropy on the reference target.
    /// 0 is plain fine-tuning.</summary>
    public double Alpha { get; init; } = 0.5;
    /// <summary>The authors' released script instead of the paper's description: forward KL, no
    /// temperature, no padding mask (padded positions count), summed and divided by the batch
    /// size (<c>kl_div(..., reduction="batchmean", log_target=True)</c>).</summary>
    public bool Released { get; init; }

    public KdLossOptions Validate()
    {
        if (Alpha is < 0 or > 1) throw new ArgumentException($"kd alpha is {Alpha}; expected a value in [0, 1]");
        if (!(Tau > 0)) throw new ArgumentException($"kd tau is {Tau}; expected a positive temperature");
        if (Beta is < 0 or > 1) throw new ArgumentException($"kd beta is {Beta}; expected a value in [0, 1]");
        if (Released && (Divergence != Divergence.ForwardKl || Tau != 1.0))
            throw new ArgumentException("the released loss is forward KL without temperature: leave divergence and tau at their defaults with released");
        return this;
    }
}

/// <summary>
/// The KD losses as pure functions of logits. Student and teacher logits are (B, T, V) over the
/// same target positions (see <see cref="TeacherAlignment"/>); the mask (B, T) marks the real
/// target tokens, and every mean is over those. All arithmetic is in fp32 (or fp64 when the
/// student's logits are fp64, as the gradient tests use) whatever the models' dtype.
/// </summary>
public static class KdLoss
{
    /// <summary>Per-position divergence (B, T) between the teacher's and the student's
    /// distributions at temperature tau (not yet scaled by tau^2).</summary>
    public static Tensor PerToken(Tensor student, Tensor teacher, Divergence divergence, double beta = 0.5, double tau = 1.0)
    {
        using var scope = NewDisposeScope();
        var dtype = student.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var logS = F.log_softmax(student.to(dtype) / tau, -1);                                 // (B, T, V)
        var logT = F.log_softmax(teacher.to(dtype).detach() / tau, -1);
        Tensor Kl(Tensor logP, Tensor logQ) => (logP.exp() * (logP - logQ)).sum(-1);           // KL(P || Q), (B, T)
        var d = divergence switch
        {
            Divergence.ForwardKl => Kl(logT, logS),
            Divergence.ReverseKl => Kl(logS, logT),
            Divergence.Jsd when beta == 0 => Kl(logT, logS),
            Divergence.Jsd when beta == 1 => Kl(logS, logT),
            // log M = logsumexp(log beta + log T, log(1 - beta) + log S): mixing probabilities, not
            // log-probabilities (a known past bug of JSD implementations).
            Divergence.Jsd => Jsd(logS, logT, beta),
            _ => throw new ArgumentOutOfRangeException(nameof(divergence)),
        };
        return d.MoveToOuterDisposeScope();

        Tensor Jsd(Tensor ls, Tensor lt, double b)
        {
            var logM = stack([lt + Math.Log(b), ls + Math.Log(1 - b)]).logsumexp(0);
            return b * Kl(lt, logM) + (1 - b) * Kl(ls, logM);
        }
    }

    /// <summary>The KD term: tau^2 times the mean divergence over real target tokens, or the
    /// released script's batch-mean over every position.</summary>
    public static Tensor Term(Tensor student, Tensor teacher, Tensor mask, KdLossOptions o)
    {
        using var scope = NewDisposeScope();
        if (o.Released)
        {
            // sum over batch, positions and vocabulary, divided by the batch size; padding included.
            var d = PerToken(student, teacher, Divergence.ForwardKl);
            return (d.sum() / student.shape[0]).MoveToOuterDisposeScope();
        }
        var per = PerToken(student, teacher, o.Divergence, o.Beta, o.Tau);                    // (B, T)
        var m = mask.to(per.dtype);
        return (o.Tau * o.Tau * (per * m).sum() / m.sum().clamp_min(1)).MoveToOuterDisposeScope();
    }

    /// <summary>alpha KD + (1 - alpha) CE: <paramref name="kdStudent"/> and <paramref name="teacher"/>
    /// are the logits over the KD targets (ground truth or generated, with <paramref name="kdMask"/>),
    /// <paramref name="ceLogits"/> the student's over the reference targets. Returns the loss and
    /// its two parts (detached), for logging.</summary>
    public static (Tensor Loss, double Kd, double Ce) Compute(Tensor kdStudent, Tensor teacher, Tensor kdMask,
                                                             Tensor ceLogits, Tensor ceTargets, Tensor ceMask, KdLossOptions o)
    {
        using var scope = NewDisposeScope();
        var kd = o.Alpha > 0 ? Term(kdStudent, teacher, kdMask, o) : zeros([], device: kdStudent.device);
        var ce = o.Alpha < 1 ? Models.LanguageModel.TokenCrossEntropy(ceLogits, ceTargets, ceMask).to(kd.dtype) : zeros([], kd.dtype, kd.device);
        var loss = o.Alpha * kd + (1 - o.Alpha) * ce;
        return (loss.MoveToOuterDisposeScope(), kd.to(ScalarType.Float64).item<double>(), ce.to(ScalarType.Float64).item<double>());
    }
}
