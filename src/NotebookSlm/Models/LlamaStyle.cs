using NotebookSlm.Accounting;

namespace NotebookSlm.Models;

/// <summary>
/// The Llama-style variant of a preset (SwiGLU MLP, no biases), the form llama.cpp's llama
/// architecture runs, for comparisons with other runtimes (issue 4 point 7). The MLP width is
/// re-solved so that the variant keeps the original's parameter count (SwiGLU has three
/// matrices where tanh-GELU has two); everything else, the K/V head grouping included, is kept.
/// </summary>
public static class LlamaStyle
{
    public const string Suffix = "-llama";

    public static ModelConfig Of(ModelConfig c) =>
        c.Mlp == MlpKind.SwiGlu && !c.Bias ? c
            : Presets.SolveMlp(c with { Name = c.Name + Suffix, Mlp = MlpKind.SwiGlu, Bias = false }, ParameterCounts.Of(c).Total);

    /// <summary>A preset by name; a name ending in <c>-llama</c> gives the Llama-style variant of the preset before it.</summary>
    public static ModelConfig Get(string name) =>
        name.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase) ? Of(Presets.Get(name[..^Suffix.Length])) : Presets.Get(name);
}
