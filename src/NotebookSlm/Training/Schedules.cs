namespace NotebookSlm.Training;

/// <summary>
/// The learning-rate multiplier of optimizer step <c>s</c> (0-based): linear warmup from
/// 1/warmup to 1 over the first <c>warmup</c> steps, then cosine decay to the minimum (paper
/// 3.3, and the released trainer), warmup-stable-decay (flat, then a linear decay over the
/// last <see cref="TrainingConfig.DecayFraction"/> of the run), or flat.
/// </summary>
public static class Schedules
{
    public static double Factor(TrainingConfig c, int step) => Factor(c.Schedule, step, c.WarmupSteps, c.Steps, c.DecayFraction, c.MinLrRatio);

    public static double Factor(ScheduleKind kind, int step, int warmup, int total, double decayFraction = 0.2, double minRatio = 0.0)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "steps count from 0");
        if (step < warmup) return (step + 1) / (double)warmup;
        double floor = minRatio;
        switch (kind)
        {
            case ScheduleKind.Constant:
                return 1.0;
            case ScheduleKind.Cosine:
            {
                int span = Math.Max(total - warmup, 1);
                double progress = Math.Min((step - warmup) / (double)span, 1.0);
                return floor + (1 - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
            }
            case ScheduleKind.Wsd:
            {
                int decaySteps = Math.Max((int)Math.Round(total * decayFraction), 1);
                int decayStart = Math.Max(total - decaySteps, warmup);
                if (step < decayStart) return 1.0;
                double progress = Math.Min((step - decayStart) / (double)Math.Max(total - decayStart, 1), 1.0);
                return 1.0 - (1 - floor) * progress;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown schedule");
        }
    }
}
