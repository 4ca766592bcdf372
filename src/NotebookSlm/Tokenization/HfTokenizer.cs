using System.Text.Json;

namespace NotebookSlm.Tokenization;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> (Llama/Phi-3.5-style BPE with byte fallback, or any
/// model the Rust <c>tokenizers</c> library reads), run by that library through
/// Tokenizers.DotNet. Ids come from the file's own vocabulary, merges and added tokens; added
/// special tokens written in the text (<c>&lt;|endoftext|&gt;</c>) encode to their ids, as in
/// Hugging Face. The vocabulary and special tokens are read from the JSON here, since the
/// binding exposes only encode and decode.
/// </summary>
/// <remarks>
/// Special ids follow <c>special_tokens_map.json</c> beside the file when present (Phi-3.5:
/// eos <c>&lt;|endoftext|&gt;</c> 32000, pad = unk <c>&lt;unk&gt;</c> 0) and bos is <c>&lt;s&gt;</c>,
/// as the authors' code sets it. Sentinels for span corruption take the ids just above the
/// file's largest id (Phi-3.5: 32011 up), inside the model's padded vocabulary of 32128.
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

    public HfTokenizer(string tokenizerJson, int sentinels = 100, string? name = null)
    {
        if (!File.Exists(tokenizerJson)) throw new FileNotFoundException($"{tokenizerJson}: tokenizer file not found", tokenizerJson);
        Name = name ?? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(tokenizerJson))) ?? "hf";
        var vocab = new Dictionary<int, string>();
        var byToken = new Dictionary<string, int>(StringComparer.Ordinal);
        var specials = new HashSet<int>();
        using (var doc = JsonDocument.Parse(File.ReadAllText(tokenizerJson)))
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
        native = new global::Tokenizers.DotNet.Tokenizer(tokenizerJson);
    }

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
