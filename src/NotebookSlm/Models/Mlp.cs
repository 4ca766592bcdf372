using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace NotebookSlm.Models;

/// <summary>
/// Position-wise MLP. Released: fc2(gelu_tanh(fc1(x))) with dropout on the output.
/// SwiGLU (Llama-style, for comparison with other runtimes): fc2(silu(gate(x)) * fc1(x)).
/// </summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    // checkpoint keys: <prefix>.fc1, <prefix>.fc2, and <prefix>.gate for SwiGLU
    readonly Linear fc1, fc2;
    readonly Linear? gate;
    readonly Dropout dropout;

    public Mlp(ModelConfig c) : base(nameof(Mlp))
    {
        fc1 = nn.Linear(c.DModel, c.MlpHidden, hasBias: c.Bias);
        fc2 = nn.Linear(c.MlpHidden, c.DModel, hasBias: c.Bias);
        if (c.Mlp == MlpKind.SwiGlu) gate = nn.Linear(c.DModel, c.MlpHidden, hasBias: c.Bias);
        dropout = nn.Dropout(c.Dropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var hidden = gate is null
            ? F.gelu(fc1.forward(x), GELU.Approximate.tanh)
            : F.silu(gate.forward(x)) * fc1.forward(x);
        return dropout.forward(fc2.forward(hidden)).MoveToOuterDisposeScope();
    }
}
