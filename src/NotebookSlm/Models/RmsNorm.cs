using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookSlm.Models;

/// <summary>
/// Root-mean-square norm with a learned gain and no bias (pre-norm, paper 3.1). Statistics are
/// accumulated in fp32 whatever the input dtype, as the released <c>MuRMSNorm</c> does; the
/// result is cast back before the gain. TorchSharp 0.107 has no RMSNorm module.
/// </summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    // checkpoint key: <prefix>.weight
    readonly Parameter weight;
    readonly double eps;

    public RmsNorm(long dim, double eps) : base(nameof(RmsNorm))
    {
        weight = new Parameter(ones(dim));
        this.eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to(ScalarType.Float32);
        var normed = x32 * rsqrt(x32.pow(2).mean([-1], keepdim: true) + eps);
        return (weight * normed.to(x.dtype)).MoveToOuterDisposeScope();
    }
}
