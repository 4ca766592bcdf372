using NotebookSlm.Models;
using static TorchSharp.torch;

namespace NotebookSlm.Generation;

/// <summary>
/// The TorchSharp model as an <see cref="IDecoder"/>: the model's own decoding session (KV
/// cache, cross-attention K/V computed once) in eval mode without gradients, each call in its
/// own dispose scope, logits copied into one host buffer per run (B x V floats a step: 0.1 ms
/// for the Phi-3.5 vocabulary, against milliseconds for the step itself).
/// </summary>
public sealed class TorchDecoder(ILanguageModel model) : IDecoder
{
    public ModelConfig Config => model.Config;

    public IDecoderRun Start(IReadOnlyList<int[]> prompts, int maxNewTokens, bool useCache) => new Run(model, prompts, maxNewTokens, useCache);

    sealed class Run : IDecoderRun
    {
        readonly ILanguageModel model;
        readonly bool wasTraining;
        readonly Tensor source;
        readonly Tensor? mask;
        readonly Device device;
        readonly IDecodingSession session;
        readonly float[] logits;

        public Run(ILanguageModel model, IReadOnlyList<int[]> prompts, int maxNewTokens, bool useCache)
        {
            this.model = model;
            wasTraining = model.Module.training;
            model.Module.eval();
            device = model.Device();
            var (ids, valid) = Seq2SeqBatch.Pad(prompts, model.Config.PadId, "prompt", device);
            // Held for the whole run, past any scope of the caller's. Equal-length prompts need
            // no mask, decided here on the host rather than by reading the mask back.
            source = ids.DetachFromDisposeScope();
            if (Seq2SeqBatch.Padded(prompts)) mask = valid.DetachFromDisposeScope();
            else valid.Dispose();
            session = model.StartDecoding(source, mask, maxNewTokens, useCache);
            logits = new float[prompts.Count * model.Config.VocabSize];
        }

        public ReadOnlySpan<float> Prefill() => Copy(() => session.Prefill());

        public ReadOnlySpan<float> Step(long[] tokens) => Copy(() => session.Step(tensor(tokens, device: device)));

        ReadOnlySpan<float> Copy(Func<Tensor> step)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            step().to(ScalarType.Float32).cpu().contiguous().data<float>().CopyTo(logits);
            return logits;
        }

        public void Dispose()
        {
            session.Dispose();
            source.Dispose();
            mask?.Dispose();
            if (wasTraining) model.Module.train();
        }
    }
}

/// <summary><c>model.Generate(prompts, options)</c> on a TorchSharp model: the one loop of
/// <see cref="Decoding"/> over <see cref="TorchDecoder"/>.</summary>
public static class GenerateExtensions
{
    public static GenerationResult Generate(this ILanguageModel model, IReadOnlyList<int[]> prompts, GenerationOptions options,
        Func<int, int, bool>? onToken = null) =>
        new TorchDecoder(model).Generate(prompts, options, onToken);
}
