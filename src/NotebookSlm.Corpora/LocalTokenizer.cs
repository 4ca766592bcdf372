using System.Diagnostics;
using System.Globalization;
using NotebookSlm.Data.Readers;
using NotebookSlm.Tokenization;

namespace NotebookSlm.Corpora;

/// <summary>A tokenizer trained on edu-local: its .model path and how long training took.</summary>
public sealed record TrainedTokenizer(string Path, int VocabSize, double TrainSeconds);

/// <summary>
/// The local SentencePiece tokenizer of the tiny experiments: trained on edu-local's train
/// split (so tiny models are not mostly embedding), kept at
/// <c>&lt;root&gt;/tokenizers/edu-local-&lt;k&gt;k.model</c> and retrained only when edu-local
/// is rebuilt. The training time is kept beside it so a reuse still reports it.
/// </summary>
public static class LocalTokenizer
{
    public static TrainedTokenizer Ensure(CorpusBuildOptions o, int vocabSize, Action<string> log)
    {
        var train = System.IO.Path.Combine(CorpusBuilder.Folder(o, CorpusBuilder.EduLocal), "train.jsonl");
        if (!File.Exists(train)) CorpusBuilder.Build(CorpusBuilder.EduLocal, o, log);
        var prefix = System.IO.Path.Combine(o.Root, "tokenizers", $"edu-local-{vocabSize / 1024}k");
        string model = prefix + ".model", timing = prefix + ".seconds";
        if (File.Exists(model) && File.Exists(timing) && File.GetLastWriteTimeUtc(model) > File.GetLastWriteTimeUtc(train))
            return new TrainedTokenizer(model, vocabSize, double.Parse(File.ReadAllText(timing), CultureInfo.InvariantCulture));
        Provisioning.EnsureApt(["sentencepiece"], log);
        var clock = Stopwatch.StartNew();
        TokenizerTraining.TrainOnDocuments(DocumentsJsonl.Read(train).Select(d => d.Text), train, prefix, new SentencePieceTrainingOptions { VocabSize = vocabSize, Seed = o.Seed }, log);
        var seconds = clock.Elapsed.TotalSeconds;
        Runtime.AtomicFile.WriteText(timing, seconds.ToString("F1", CultureInfo.InvariantCulture));
        return new TrainedTokenizer(model, vocabSize, seconds);
    }
}
