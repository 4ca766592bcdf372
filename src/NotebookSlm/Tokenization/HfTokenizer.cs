using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NotebookSlm.Tokenization;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> (Llama/Phi-3.5-style BPE with byte fallback, or any
/// model the Rust <c>tokenizers</c> library reads), run by that library through
/// Tokenizers.DotNet. Ids come from the file's own vocabulary, merges and added tokens. Text is
/// always text: a special token's string in it (<c>&lt;|endoftext|&gt;</c>, <c>&lt;s&gt;</c>)
/// encodes as ordinary pieces, as Hugging Face's <c>split_special_tokens</c> does, and no
/// post-processor adds ids around it. The vocabulary and special tokens are read from the JSON
/// here, since the binding exposes only encode and decode.
/// </summary>
/// <remarks>
/// Special ids follow <c>special_tokens_map.json</c> beside the file when present (Phi-3.5:
/// eos <c>&lt;|endoftext|&gt;</c> 32000, pad = unk <c>&lt;unk&gt;</c> 0) and bos is <c>&lt;s&gt;</c>,
/// as the authors' code sets it. Sentinels for span corruption take the ids just above the
/// file's largest id (Phi-3.5: 32011 up), inside the model's padded vocabulary of 32128.
/// The binding has no switch for special tokens (it encodes with <c>add_special_tokens</c> on
/// and always matches added tokens), so the native tokenizer runs a text-only copy of the file
/// (<see cref="TextOnlyPath"/>).
/// </remarks>
public sealed class HfTokenizer : ITokenizer, IDisposable
{
    readonly global::Tokenizers.DotNet.Tokenizer native;
    readonly string[] tokens;               // id -> token text; sentinels appended
    readonly HashSet<int> skipOnDecode;
    readonly int firstSentinel;

    // Scripts and notebooks have no deps.json to find libhf_tokenizers.so; see NativeResolver.
    static HfTokenizer() => Runtime.NativeResolver.Register(typeof(global::Tokenizers.DotNet.Tokenizer).Assembly,
        "Tokenizers.DotNet.runtime.linux-x64", Runtime.TorchRuntime.Metadata("NotebookSlm.TokenizersDotNetVersion"));

    public string Name { get; }
    public int VocabSize => tokens.Length;
    public int PadId { get; }
    public int BosId { get; }
    public int EosId { get; }
    public int UnkId { get; }
    public int SentinelCount { get; }
    /// <summary>The tokenizer.json the native library runs: the given file, or, when it has
    /// something that would turn text into special ids, a copy in the cache without it (see
    /// <see cref="WriteTextOnly"/>).</summary>
    public string TextOnlyPath { get; }

    public HfTokenizer(string tokenizerJson, int sentinels = 100, string? name = null)
    {
        if (!File.Exists(tokenizerJson)) throw new FileNotFoundException($"{tokenizerJson}: tokenizer file not found", tokenizerJson);
        Name = name ?? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(tokenizerJson))) ?? "hf";
        var vocab = new Dictionary<int, string>();
        var byToken = new Dictionary<string, int>(StringComparer.Ordinal);
        var specials = new HashSet<int>();
        var bytes = File.ReadAllBytes(tokenizerJson);
        using (var doc = JsonDocument.Parse(bytes))
        {
            var root = doc.RootElement;
            if (!root.TryGetProperty("model", out var model) || !model.TryGetProperty("vocab", out var v))
                throw new InvalidDataException($"{tokenizerJson}: field 'model.vocab' missing; not a Hugging Face tokenizer.json");
            if (v.ValueKind == JsonValueKind.Object)
                foreach (var p in v.EnumerateObject()) { vocab[p.Value.GetInt32()] = p.Name; byToken[p.Name] = p.Value.GetInt32(); }
            else if (v.ValueKind == JsonValueKind.Array)   // Unigram: [[piece, score], ...]
            {
                int i = 0;
                foreach (var e in v.EnumerateArray()) { var t = e[0].GetString()!; vocab[i] = t; byToken[t] = i; i++; }
            }
            if (root.TryGetProperty("added_tokens", out var added))
                foreach (var a in added.EnumerateArray())
                {
                    int id = a.GetProperty("id").GetInt32();
                    var content = a.GetProperty("content").GetString()!;
                    vocab[id] = content; byToken[content] = id;
                    if (a.TryGetProperty("special", out var sp) && sp.GetBoolean()) specials.Add(id);
                }
        }
        int maxId = vocab.Keys.Max();
        tokens = new string[maxId + 1 + sentinels];
        for (int i = 0; i <= maxId; i++) tokens[i] = vocab.TryGetValue(i, out var t) ? t : $"<id {i}>";
        firstSentinel = maxId + 1;
        SentinelCount = sentinels;
        for (int i = 0; i < sentinels; i++) tokens[firstSentinel + i] = $"<extra_id_{i}>";

        var map = ReadSpecialTokensMap(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJson))!, "special_tokens_map.json"));
        int Id(string? token, int fallback) => token is not null && byToken.TryGetValue(token, out var id) ? id : fallback;
        UnkId = Id(map.GetValueOrDefault("unk_token") ?? "<unk>", 0);
        BosId = Id("<s>", Id(map.GetValueOrDefault("bos_token"), UnkId));
        EosId = Id(map.GetValueOrDefault("eos_token"), Id("</s>", UnkId));
        PadId = Id(map.GetValueOrDefault("pad_token"), UnkId);
        skipOnDecode = [.. specials, PadId, BosId, EosId, UnkId];
        TextOnlyPath = WriteTextOnly(tokenizerJson, bytes);
        native = new global::Tokenizers.DotNet.Tokenizer(TextOnlyPath);
    }

    /// <summary>
    /// The path of a copy of <paramref name="tokenizerJson"/> that treats all text as text, or
    /// the file itself when nothing needs removing. The copy drops (1) the added tokens marked
    /// special, which the library matches in the text before the model runs; (2) added tokens
    /// that only re-declare a piece of the model's vocabulary under the same id (Llama's and
    /// Phi-3.5's <c>&lt;/s&gt;</c>, unmarked but matched whole, its right strip eating the
    /// spaces after it), so they match only as the model would spell them; (3) the
    /// post-processor, which would add ids such as BOS around the text. Ordinary text encodes
    /// as through the original file (the tests compare them on real text). Written once per file
    /// content to the cache (<c>tokenizers/text-only/SHA-256 prefix/</c>), atomically.
    /// </summary>
    static string WriteTextOnly(string tokenizerJson, byte[] bytes)
    {
        var root = JsonNode.Parse(bytes)!.AsObject();
        bool changed = false;
        if (root["added_tokens"] is JsonArray added)
        {
            var vocab = root["model"]?["vocab"];
            foreach (var a in added.ToArray())
            {
                if (a is null) continue;
                bool special = a["special"]?.GetValue<bool>() == true;
                if (special || Redeclares(vocab, a["content"]!.GetValue<string>(), a["id"]!.GetValue<int>()))
                {
                    added.Remove(a);
                    changed = true;
                }
            }
        }
        if (root["post_processor"] is not null)
        {
            root["post_processor"] = null;
            changed = true;
        }
        if (!changed) return tokenizerJson;
        var hash = Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
        var copy = Path.Combine(Runtime.TorchRuntime.CacheRoot, "tokenizers", "text-only", hash, "tokenizer.json");
        if (!File.Exists(copy))
            Runtime.AtomicFile.WriteText(copy, root.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        return copy;
    }

    /// <summary>Whether the model's vocabulary (BPE/WordPiece: token to id; Unigram: [piece,
    /// score] by id) already holds <paramref name="content"/> at <paramref name="id"/>.</summary>
    static bool Redeclares(JsonNode? vocab, string content, int id) => vocab switch
    {
        JsonObject map => map[content] is JsonValue v && v.GetValue<int>() == id,
        JsonArray pieces => id >= 0 && id < pieces.Count && pieces[id]?[0]?.GetValue<string>() == content,
        _ => false,
    };

    /// <summary>special_tokens_map.json values, as plain strings or {"content": ...} objects.</summary>
    static Dictionary<string, string> ReadSpecialTokensMap(string path)
    {
        var result = new Dictionary<string, string>();
        if (!File.Exists(path)) return result;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            var value = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()
                : p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("content", out var c) ? c.GetString() : null;
            if (value is not null) result[p.Name] = value;
        }
        return result;
    }

    public int SentinelId(int index) =>
        index >= 0 && index < SentinelCount ? firstSentinel + index
        : throw new ArgumentOutOfRangeException(nameof(index), $"sentinel {index} outside 0..{SentinelCount - 1}");

    public int[] Encode(string text) => Array.ConvertAll(native.Encode(text), id => (int)id);

    public string Decode(IEnumerable<int> ids) =>
        native.Decode(ids.Where(i => i >= 0 && i < firstSentinel && !skipOnDecode.Contains(i)).Select(i => (uint)i).ToArray());

    public string TokenText(int id) => id >= 0 && id < tokens.Length ? tokens[id] : $"<id {id}>";

    public void Dispose() => native.Dispose();
}
