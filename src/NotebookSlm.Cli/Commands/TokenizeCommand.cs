using System.CommandLine;
using System.Text.Json;
using NotebookSlm.Tokenization;

namespace NotebookSlm.Cli.Commands;

/// <summary><c>slm tokenize</c>: ids and tokens of a text under any tokenizer; <c>slm tokenizer train</c>.</summary>
static class TokenizeCommand
{
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "bytes, gpt2, phi-3.5, a .model path or a tokenizer.json path", Required = true };
        var text = new Option<string>("--text") { Description = "text to tokenize", Required = true };
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var cmd = new Command("tokenize", "show the token ids and tokens of a text") { tokenizer, text, json };
        cmd.SetAction(r => Cli.Run(() =>
        {
            var t = AutoTokenizer.Load(r.GetValue(tokenizer)!);
            var s = r.GetValue(text)!;
            var ids = t.Encode(s);
            var tokens = ids.Select(t.TokenText).ToArray();
            bool lossless = t.Decode(ids) == s;
            if (r.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    tokenizer = t.Name, vocab_size = t.VocabSize, ids, tokens, count = ids.Length, round_trip = lossless,
                    special = new { pad = t.PadId, bos = t.BosId, eos = t.EosId, unk = t.UnkId, first_sentinel = t.SentinelCount > 0 ? t.SentinelId(0) : -1 },
                }, Cli.Json));
            else
            {
                Console.WriteLine($"{t.Name}: vocabulary {t.VocabSize}, pad {t.PadId}, bos {t.BosId}, eos {t.EosId}, unk {t.UnkId}, {t.SentinelCount} sentinels");
                Console.WriteLine($"{ids.Length} tokens; decoding gives the text back: {(lossless ? "yes" : "no")}");
                Console.WriteLine($"ids:    {string.Join(' ', ids)}");
                Console.WriteLine($"tokens: {string.Join(" | ", tokens)}");
            }
            return 0;
        }));
        return cmd;
    }

    public static Command Train()
    {
        var input = new Option<string[]>("--input") { Description = "text files, one paragraph per line", AllowMultipleArgumentsPerToken = true };
        var corpus = new Option<string?>("--documents") { Description = "a documents JSONL file (e.g. artifacts/data/edu-local/train.jsonl) instead of --input" };
        var output = new Option<string>("--out") { Description = "output prefix (writes PREFIX.model and PREFIX.vocab)", Required = true };
        var vocab = new Option<int>("--vocab") { DefaultValueFactory = _ => 8192 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 17 };
        // BPE only: a unigram model trains, but Microsoft.ML.Tokenizers 2.0.1 reads it wrongly, so
        // SentencePieceModelTokenizer refuses it when loaded; offering it here would write a file
        // nothing in this repository can use.
        var train = new Command("train", "train a SentencePiece BPE tokenizer on local text (Debian's spm_train)") { input, corpus, output, vocab, seed };
        train.SetAction(r => Cli.Run(() =>
        {
            Corpora.Provisioning.EnsureApt(["sentencepiece"], Console.Error.WriteLine);
            var options = new SentencePieceTrainingOptions { VocabSize = r.GetValue(vocab), ModelType = "bpe", Seed = r.GetValue(seed) };
            var path = (r.GetValue(corpus), r.GetValue(input)) switch
            {
                ({ } docs, null or { Length: 0 }) => TokenizerTraining.TrainOnDocuments(Data.Readers.DocumentsJsonl.Read(docs).Select(d => d.Text), docs, r.GetValue(output)!, options, Console.WriteLine),
                (null, { Length: > 0 } files) => TokenizerTraining.TrainSentencePiece(files, r.GetValue(output)!, options, Console.WriteLine),
                _ => throw new ArgumentException("give either --input files or --documents, not both"),
            };
            var t = new SentencePieceModelTokenizer(path);
            Console.WriteLine($"{path}: vocabulary {t.VocabSize}, {t.SentinelCount} sentinels");
            return 0;
        }));
        var cmd = new Command("tokenizer", "tokenizer tools") { train };
        return cmd;
    }
}
