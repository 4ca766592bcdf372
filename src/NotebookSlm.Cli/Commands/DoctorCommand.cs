using System.CommandLine;
using NotebookSlm.Reporting;
using NotebookSlm.Runtime;
using TorchSharp;

namespace NotebookSlm.Cli.Commands;

/// <summary><c>slm doctor</c>: loads libtorch, computes one tensor, and says how it got there.</summary>
static class DoctorCommand
{
    public static Command Create()
    {
        var cmd = new Command("doctor", "check that TorchSharp's native backend loads on this machine");
        cmd.SetAction(_ =>
        {
            TorchRuntime.EnsureLoaded();
            using var t = torch.arange(6, dtype: torch.ScalarType.Float32).reshape(2, 3);
            using var sum = t.matmul(t.T).sum();
            Console.WriteLine($"tensor ok: sum of (x x^T) for x = arange(6).reshape(2, 3) is {sum.item<float>()}");
            Console.WriteLine($"machine: {MachineInfo.Capture()}");
            Console.WriteLine($"torch threads: {torch.get_num_threads()}; patched LibTorchSharp: {TorchRuntime.UsedPatchedCopy}");
            Console.Write(TorchRuntime.Trace);
            return 0;
        });
        return cmd;
    }
}
