using System.Text;

namespace NotebookSlm.Tokenization;

/// <summary>
/// UTF-8 bytes as tokens, needing no files: ids 0-3 are pad, bos, eos, unk (the released
/// code's pad 0, bos 1, eos 2), 4-259 the bytes, then the sentinels. Encode gives byte ids
/// only, so special strings in text stay text. For tests and the smallest experiments.
/// </summary>
public sealed class ByteTokenizer(int sentinels = 100) : ITokenizer
{
    const int Offset = 4;
    public string Name => "bytes";
    public int VocabSize => Offset + 256 + SentinelCount;
    public int PadId => 0;
    public int BosId => 1;
    public int EosId => 2;
    public int UnkId => 3;
    public int SentinelCount { get; } = sentinels;

    public int SentinelId(int index) =>
        index >= 0 && index < SentinelCount ? Offset + 256 + index
        : throw new ArgumentOutOfRangeException(nameof(index), $"sentinel {index} outside 0..{SentinelCount - 1}");

    public int[] Encode(string text) => Encoding.UTF8.GetBytes(text).Select(b => b + Offset).ToArray();

    public string Decode(IEnumerable<int> ids) =>
        Encoding.UTF8.GetString(ids.Where(i => i >= Offset && i < Offset + 256).Select(i => (byte)(i - Offset)).ToArray());

    public string TokenText(int id) => id switch
    {
        0 => "<pad>", 1 => "<s>", 2 => "</s>", 3 => "<unk>",
        >= Offset and < Offset + 256 => (id - Offset) is >= 32 and < 127 ? ((char)(id - Offset)).ToString() : $"<0x{id - Offset:X2}>",
        _ when id >= Offset + 256 && id < VocabSize => $"<extra_id_{id - Offset - 256}>",
        _ => $"<id {id}>",
    };
}
