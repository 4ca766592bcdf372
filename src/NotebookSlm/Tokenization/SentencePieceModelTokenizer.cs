using Microsoft.ML.Tokenizers;

namespace NotebookSlm.Tokenization;

/// <summary>
/// A SentencePiece <c>.model</c> file (BPE or unigram) through Microsoft.ML.Tokenizers.
/// Special ids are the model's own (our trained tokenizers: pad 0, bos 1, eos 2, unk 3, the
/// released code's layout); sentinels are the model's <c>&lt;extra_id_i&gt;</c> pieces, which
/// <see cref="TokenizerTraining"/> adds as user-defined symbols. Text is always text: for BPE
/// models Microsoft.ML.Tokenizers matches neither control pieces (<c>&lt;s&gt;</c>,
/// <c>&lt;/s&gt;</c>, <c>&lt;pad&gt;</c>) nor user-defined ones (<c>&lt;extra_id_0&gt;</c>) in
/// the text (no special tokens are passed to it), so their strings encode as ordinary pieces.
/// Unigram models it reads wrongly are refused when loaded (see <c>RejectMisread</c>).
/// </summary>
/// <remarks>Microsoft.ML.Tokenizers supports the identity normaliser and rejects
/// <c>nmt_nfkc</c> (Microsoft.ML.Tokenizers 2.0.1): train with <c>--normalization_rule_name=identity</c>.</remarks>
public sealed class SentencePieceModelTokenizer : ITokenizer
{
    readonly SentencePieceTokenizer inner;
    readonly string[] pieces;
    readonly int[] sentinels;
    readonly HashSet<int> specials;

    public string Name { get; }
    public int VocabSize => pieces.Length;
    public int PadId { get; }
    public int BosId => inner.BeginningOfSentenceId;
    public int EosId => inner.EndOfSentenceId;
    public int UnkId => inner.UnknownId;
    public int SentinelCount => sentinels.Length;

    public SentencePieceModelTokenizer(string modelPath)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"{modelPath}: SentencePiece model not found", modelPath);
        using (var s = File.OpenRead(modelPath))
        {
            try { inner = SentencePieceTokenizer.Create(s, addBeginningOfSentence: false, addEndOfSentence: false); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or InvalidDataException)
            { throw new InvalidDataException($"{modelPath}: not a SentencePiece model this library can read: {e.Message}", e); }
        }
        Name = Path.GetFileNameWithoutExtension(modelPath);
        var vocab = inner.Vocabulary;
        pieces = new string[vocab.Values.Max() + 1];
        foreach (var (piece, id) in vocab) pieces[id] = piece;
        PadId = vocab.TryGetValue("<pad>", out var pad) ? pad : UnkId;
        sentinels = Enumerable.Range(0, 1000).Select(i => vocab.TryGetValue($"<extra_id_{i}>", out var id) ? id : -1).TakeWhile(id => id >= 0).ToArray();
        specials = [PadId, BosId, EosId, UnkId, .. sentinels];
        RejectMisread(modelPath, vocab);
    }

    /// <summary>
    /// Refuses a model this library would encode wrongly rather than hand out wrong ids.
    /// Microsoft.ML.Tokenizers 2.0.1 reads unigram models so: it leaves their byte pieces out
    /// of the vocabulary and maps byte fallback to the ids of other pieces ("&lt;" became
    /// "▁de" in a model trained by <see cref="TokenizerTraining"/>), and it matches their
    /// user-defined pieces (the sentinels) inside text. BPE models are read right.
    /// </summary>
    void RejectMisread(string modelPath, IReadOnlyDictionary<string, int> vocab)
    {
        const string advice = "train a BPE model (SentencePieceTrainingOptions.ModelType \"bpe\", as `slm tokenizer train` does)";
        if (inner.ByteFallback && !vocab.ContainsKey("<0x00>"))
            throw new InvalidDataException($"{modelPath}: Microsoft.ML.Tokenizers maps this model's byte-fallback pieces to wrong ids (a unigram model?); {advice}");
        var probe = string.Join(" ", specials.Select(TokenText));
        if (Encode(probe).Any(specials.Contains))
            throw new InvalidDataException($"{modelPath}: Microsoft.ML.Tokenizers encodes special pieces written in text to their ids with this model (a unigram model?); {advice}");
    }

    public int SentinelId(int index) =>
        index >= 0 && index < sentinels.Length ? sentinels[index]
        : throw new ArgumentOutOfRangeException(nameof(index), $"sentinel {index} outside 0..{sentinels.Length - 1} ({Name} has {sentinels.Length})");

    public int[] Encode(string text) => inner.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false).ToArray();

    public string Decode(IEnumerable<int> ids) => inner.Decode(ids.Where(i => i >= 0 && i < pieces.Length && !specials.Contains(i)), considerSpecialTokens: false) ?? "";

    public string TokenText(int id) => id >= 0 && id < pieces.Length ? pieces[id] ?? $"<id {id}>" : $"<id {id}>";
}
