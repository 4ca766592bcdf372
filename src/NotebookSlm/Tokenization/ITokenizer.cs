namespace NotebookSlm.Tokenization;

/// <summary>Text to token ids and back, with the special ids models and data pipelines need.</summary>
public interface ITokenizer
{
    string Name { get; }
    int VocabSize { get; }
    int PadId { get; }
    int BosId { get; }
    int EosId { get; }
    int UnkId { get; }
    /// <summary>Sentinels <c>&lt;extra_id_i&gt;</c> for span corruption (T5).</summary>
    int SentinelCount { get; }
    int SentinelId(int index);
    /// <summary>Ids of the text, as text: no BOS/EOS, and a special token's string inside it
    /// (<c>&lt;|endoftext|&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;extra_id_0&gt;</c>) encodes as
    /// ordinary pieces, never as the special id. Data text goes through here; only templates and
    /// pipelines insert special ids, as ids.</summary>
    int[] Encode(string text);
    /// <summary>Text of the ids; special ids are skipped.</summary>
    string Decode(IEnumerable<int> ids);
    /// <summary>A readable form of one id (for token listings).</summary>
    string TokenText(int id);
}
