using NotebookSlm.Sweeps;

namespace NotebookSlm.Cli.Jobs;

/// <summary>The sweep jobs this CLI adds to the core's (<c>probe</c>): what <c>slm sweep cell</c> can run.</summary>
static class SweepJobKinds
{
    public static void Register()
    {
        SweepJobs.Register(TrainEvalJob.Kind, new TrainEvalJob());
        SweepJobs.Register(TrainBenchJob.Kind, new TrainBenchJob());
        SweepJobs.Register(DistillEvalJob.Kind, new DistillEvalJob());
    }
}
