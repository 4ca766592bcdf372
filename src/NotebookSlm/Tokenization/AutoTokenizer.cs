using System.Reflection;

namespace NotebookSlm.Tokenization;

/// <summary>
/// One way to name a tokenizer everywhere (CLI <c>--tokenizer</c>, configs, scripts):
/// <c>bytes</c>, <c>gpt2</c>, <c>phi-3.5</c> (the authors' Phi-3.5 tokenizer, shipped inside
/// this library), a path to a SentencePiece <c>.model</c>, or a path to a <c>tokenizer.json</c>
/// (or a folder holding one).
/// </summary>
public static class AutoTokenizer
{
    public const string Phi35 = "phi-3.5";

    public static ITokenizer Load(string spec)
    {
        switch (spec)
        {
            case "bytes": return new ByteTokenizer();
            case "gpt2": return new Gpt2Tokenizer();
            case Phi35: return new HfTokenizer(ExtractAsset(Phi35), name: Phi35);
        }
        if (Directory.Exists(spec))
        {
            var json = Path.Combine(spec, "tokenizer.json");
            if (File.Exists(json)) return new HfTokenizer(json);
            var models = Directory.GetFiles(spec, "*.model");
            if (models.Length == 1) return new SentencePieceModelTokenizer(models[0]);
            throw new ArgumentException($"{spec}: a tokenizer folder needs tokenizer.json or exactly one *.model file");
        }
        if (spec.EndsWith(".model", StringComparison.Ordinal)) return new SentencePieceModelTokenizer(spec);
        if (spec.EndsWith(".json", StringComparison.Ordinal)) return new HfTokenizer(spec);
        throw new ArgumentException($"unknown tokenizer '{spec}': expected bytes, gpt2, {Phi35}, a SentencePiece .model path or a tokenizer.json path");
    }

    /// <summary>Writes (once) the embedded tokenizer files to the cache and returns the tokenizer.json path.</summary>
    static string ExtractAsset(string name)
    {
        var asm = typeof(AutoTokenizer).Assembly;
        var dir = Path.Combine(Runtime.TorchRuntime.CacheRoot, "tokenizers", name, asm.ManifestModule.ModuleVersionId.ToString("N")[..12]);
        var prefix = $"Tokenizers/{name}/";
        foreach (var resource in asm.GetManifestResourceNames().Where(r => r.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var target = Path.Combine(dir, resource[prefix.Length..]);
            if (File.Exists(target)) continue;
            Directory.CreateDirectory(dir);
            using var input = asm.GetManifestResourceStream(resource)!;
            Runtime.AtomicFile.Write(target, input.CopyTo);
        }
        var json = Path.Combine(dir, "tokenizer.json");
        return File.Exists(json) ? json : throw new InvalidOperationException($"tokenizer '{name}' is not embedded in {asm.GetName().Name}");
    }
}
