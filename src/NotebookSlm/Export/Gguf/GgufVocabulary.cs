using System.Text.Json;
using NotebookSlm.Models;

namespace NotebookSlm.Export.Gguf;

/// <summary>llama.cpp's token types (<c>tokenizer.ggml.token_type</c>).</summary>
public enum GgufTokenType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

/// <summary>
/// A SentencePiece-style ("llama") vocabulary for <c>tokenizer.ggml.*</c>: one string, score and
/// type per id, exactly as many as the model's embedding has rows (llama.cpp sizes the vocabulary
/// from this list and checks it against <c>token_embd</c>).
/// </summary>
public sealed record GgufVocabulary(string[] Tokens, float[] Scores, GgufTokenType[] Types, int UnknownId, string Source)
{
    /// <summary>The vocabulary a configuration was trained with: the Phi-3.5 tokenizer for the
    /// 330M family (32128 rows), otherwise a synthetic one of the right size.</summary>
    public static GgufVocabulary For(ModelConfig c) =>
        c.VocabSize >= PhiSize() ? Phi35(c) : Synthetic(c);

    static int PhiSize() => 32000;

    /// <summary>
    /// The authors' Phi-3.5 tokenizer (embedded tokenizer.json: a byte-fallback BPE over the Llama-2
    /// SentencePiece pieces), padded with <c>&lt;unused_N&gt;</c> tokens to the model's 32128 rows.
    /// tokenizer.json carries merges, not SentencePiece scores; we score piece i as -i, which ranks
    /// pieces as the original model file does (its scores fall with the id) and only matters when
    /// llama.cpp tokenizes text, which the comparison never asks it to do (it is fed token ids).
    /// </summary>
    public static GgufVocabulary Phi35(ModelConfig c)
    {
        var asm = typeof(GgufVocabulary).Assembly;
        using var stream = asm.GetManifestResourceStream("Tokenizers/phi-3.5/tokenizer.json")
            ?? throw new InvalidOperationException("the Phi-3.5 tokenizer.json is not embedded in NotebookSlm.dll");
        using var doc = JsonDocument.Parse(stream);
        var tokens = new string?[c.VocabSize];
        var types = new GgufTokenType[c.VocabSize];
        foreach (var p in doc.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject())
        {
            int id = p.Value.GetInt32();
            if (id >= c.VocabSize) throw new ConfigException($"'{c.Name}': Phi-3.5 token id {id} does not fit VocabSize {c.VocabSize}");
            tokens[id] = p.Name;
            types[id] = IsByte(p.Name) ? GgufTokenType.Byte : GgufTokenType.Normal;
        }
        foreach (var a in doc.RootElement.GetProperty("added_tokens").EnumerateArray())
        {
            int id = a.GetProperty("id").GetInt32();
            if (id >= c.VocabSize) continue;
            tokens[id] = a.GetProperty("content").GetString()!;
            types[id] = a.GetProperty("special").GetBoolean() ? GgufTokenType.Control : GgufTokenType.UserDefined;
        }
        int unk = Array.IndexOf(tokens, "<unk>");
        if (unk >= 0) types[unk] = GgufTokenType.Unknown;
        for (int i = 0; i < tokens.Length; i++)
            if (tokens[i] is null) { tokens[i] = $"<unused_{i}>"; types[i] = GgufTokenType.Unused; }
        MarkSpecials(c, types);
        return new GgufVocabulary(tokens!, ScoresOf(types), types, Math.Max(unk, 0), "phi-3.5 tokenizer.json");
    }

    /// <summary>
    /// A placeholder vocabulary of <c>VocabSize</c> tokens for random-weight models that were never
    /// trained on text: the config's pad (as <c>&lt;unk&gt;</c>), BOS and EOS, the 256 byte tokens
    /// <c>&lt;0x00&gt;</c>..<c>&lt;0xFF&gt;</c> llama.cpp's SentencePiece path looks up (newline,
    /// byte fallback), then distinct filler pieces. Needs at least 259 rows.
    /// </summary>
    public static GgufVocabulary Synthetic(ModelConfig c)
    {
        var specials = new[] { c.PadId, c.BosId, c.EosId }.Distinct().ToArray();
        if (c.VocabSize < specials.Length + 256)
            throw new ConfigException($"'{c.Name}': a llama vocabulary needs room for the 256 byte tokens and the specials; VocabSize is {c.VocabSize}");
        var tokens = new string[c.VocabSize];
        var types = new GgufTokenType[c.VocabSize];
        int next = 0, unk = c.PadId;
        int Free() { while (specials.Contains(next)) next++; return next++; }
        for (int b = 0; b < 256; b++) { int id = Free(); tokens[id] = $"<0x{b:X2}>"; types[id] = GgufTokenType.Byte; }
        for (int id = 0; id < c.VocabSize; id++)
            if (tokens[id] is null && !specials.Contains(id)) { tokens[id] = $"\u2581t{id}"; types[id] = GgufTokenType.Normal; }
        tokens[c.PadId] = "<unk>"; types[c.PadId] = GgufTokenType.Unknown;
        tokens[c.BosId] = "<s>";
        tokens[c.EosId] = "</s>";
        MarkSpecials(c, types);
        if (c.PadId != c.BosId && c.PadId != c.EosId) types[c.PadId] = GgufTokenType.Unknown;
        return new GgufVocabulary(tokens, ScoresOf(types), types, unk, "synthetic (random-weight model)");
    }

    static void MarkSpecials(ModelConfig c, GgufTokenType[] types)
    {
        types[c.BosId] = GgufTokenType.Control;
        types[c.EosId] = GgufTokenType.Control;
    }

    static bool IsByte(string s) => s.Length == 6 && s.StartsWith("<0x", StringComparison.Ordinal) && s[^1] == '>';

    /// <summary>Normal pieces score -id; specials, bytes and unused rows score 0 (as SentencePiece does).</summary>
    static float[] ScoresOf(GgufTokenType[] types) =>
        types.Select((t, i) => t == GgufTokenType.Normal ? -(float)i : 0f).ToArray();
}
