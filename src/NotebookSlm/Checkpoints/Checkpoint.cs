using System.Collections;
using NotebookSlm.Models;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using NotebookSlm.Runtime;

namespace NotebookSlm.Checkpoints;

/// <summary>
/// Saving and loading models. Our layout is a folder with <c>config.json</c> (the
/// <see cref="ModelConfig"/>) and <c>model.safetensors</c>, as Hugging Face keeps them. The
/// authors' layout is a <c>torch.save</c> zip holding <c>{"model_state_dict": state_dict}</c>
/// with the released code's keys (<c>transformer.wte</c>, <c>transformer.e.{i}.*</c>,
/// <c>transformer.h.{i}.*</c>, <c>transformer.ln_e</c>, <c>transformer.ln_f</c>) and a tied <c>lm_head.weight</c>; it is read and
/// written through TorchSharp.PyBridge.
/// </summary>
public static class Checkpoint
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    const string TiedHead = "lm_head.weight";
    const string TiedEmbedding = "transformer.wte.weight";

    /// <summary>Writes config.json and model.safetensors as one folder <paramref name="dir"/>
    /// (<see cref="AtomicFolder"/>: a reader sees the old checkpoint or the new one, never a mix).</summary>
    public static void Save(ILanguageModel model, string dir, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFolder.Write(dir, temp => WriteFiles(temp, model.Config, model.Module.state_dict().Select(kv => (kv.Key, kv.Value)), metadata));

    /// <summary>The two files of a checkpoint, written into <paramref name="dir"/> (which the
    /// caller makes atomic): the weights, then the config.</summary>
    public static void WriteFiles(string dir, ModelConfig config, IEnumerable<(string Name, Tensor Tensor)> weights, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["notebookslm.config"] = config.Name };
        if (metadata is not null) foreach (var (k, v) in metadata) meta[k] = v;
        SafeTensors.Save(Path.Combine(dir, WeightsFile), weights, meta);
        File.WriteAllText(Path.Combine(dir, ConfigFile), config.ToJson());
    }

    /// <summary>Builds the model that <c>config.json</c> describes and loads <c>model.safetensors</c> into it.</summary>
    public static ILanguageModel Load(string dir)
    {
        var configPath = Path.Combine(dir, ConfigFile);
        var weightsPath = Path.Combine(dir, WeightsFile);
        if (!File.Exists(configPath)) throw new CheckpointException($"{dir}: no {ConfigFile} (expected a checkpoint folder written by Checkpoint.Save)");
        if (!File.Exists(weightsPath)) throw new CheckpointException($"{dir}: no {WeightsFile}");
        var model = LanguageModel.Create(ModelConfig.Load(configPath));
        var state = SafeTensors.Load(weightsPath);
        try { LoadState(model, state, weightsPath); }
        finally { foreach (var t in state.Values) t.Dispose(); }
        return model;
    }

    /// <summary>
    /// Copies <paramref name="state"/> into the model's parameters, converting dtypes. Strict:
    /// a missing key, an unexpected key or a shape mismatch is an error naming the key.
    /// A tied <c>lm_head.weight</c> is accepted if it equals the embedding.
    /// </summary>
    public static void LoadState(ILanguageModel model, IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var own = model.Module.state_dict();
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (model.Config.TiedEmbeddings && unexpected.Remove(TiedHead) && state.TryGetValue(TiedEmbedding, out var wte)
            && !state[TiedHead].to(wte.dtype).eq(wte).all().item<bool>())
            throw new CheckpointException($"{source}: '{TiedHead}' differs from '{TiedEmbedding}' but the config ties them (set tied_embeddings false)");
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new CheckpointException($"{source}: keys do not match model '{model.Config.Name}'."
                + (missing.Count > 0 ? $" Missing: {string.Join(", ", missing.Take(10))}{More(missing)}." : "")
                + (unexpected.Count > 0 ? $" Unexpected: {string.Join(", ", unexpected.Take(10))}{More(unexpected)}." : ""));
        using var _ = no_grad();
        foreach (var (name, target) in own)
        {
            var value = state[name];
            if (!value.shape.SequenceEqual(target.shape))
                throw new CheckpointException($"{source}: tensor '{name}' has shape [{string.Join(", ", value.shape)}] but the model needs [{string.Join(", ", target.shape)}]");
            target.copy_(value);
        }
    }

    static string More(List<string> keys) => keys.Count > 10 ? $" and {keys.Count - 10} more" : "";

    /// <summary>Writes the authors' layout: a torch.save zip of {"model_state_dict": ...} with
    /// the tied lm_head.weight present, in the model's dtype (the release is bf16).</summary>
    public static void SaveReleased(ILanguageModel model, string path)
    {
        var state = new Hashtable();
        foreach (var (k, v) in model.Module.state_dict()) state[k] = v;
        if (model.Config.TiedEmbeddings) state[TiedHead] = state[TiedEmbedding];
        var root = new Hashtable { ["model_state_dict"] = state };
        AtomicFile.Write(path, stream => PyTorchPickler.PickleStateDict(stream, root, leaveOpen: true));
    }

    /// <summary>Loads a file in the authors' layout (or a bare state_dict) into a new model of
    /// <paramref name="config"/>, by default the released 330M configuration.</summary>
    public static ILanguageModel LoadReleased(string path, ModelConfig? config = null)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: file not found");
        Hashtable root;
        try { root = PyTorchUnpickler.UnpickleStateDict(path); }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or NotImplementedException or InvalidOperationException or IOException)
        { throw new CheckpointException($"{path}: not a torch.save zip archive: {e.Message}"); }
        var table = root["model_state_dict"] as Hashtable ?? root;
        var state = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry e in table)
            if (e.Value is Tensor t) state[(string)e.Key] = t;
            else throw new CheckpointException($"{path}: entry '{e.Key}' is a {e.Value?.GetType().Name ?? "null"}, not a tensor");
        var model = LanguageModel.Create(config ?? Presets.Paper330M.Released);
        try { LoadState(model, state, path); }
        finally { foreach (var t in state.Values) t.Dispose(); }
        return model;
    }
}
