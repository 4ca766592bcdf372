using System.Diagnostics;
using System.Text;
using NotebookSlm.Runtime;

namespace NotebookSlm.Tokenization;

/// <summary>What to train: vocabulary size, algorithm, how many sentences to sample, the seed.</summary>
public sealed record SentencePieceTrainingOptions
{
    /// <summary>4k-16k keeps a tiny model from being mostly embedding (paper-scale models use 32k).</summary>
    public int VocabSize { get; init; } = 8192;
    /// <summary>bpe (as Llama and Phi) or unigram (as T5). <see cref="SentencePieceModelTokenizer"/>
    /// refuses unigram models: Microsoft.ML.Tokenizers 2.0.1 encodes them wrongly.</summary>
    public string ModelType { get; init; } = "bpe";
    public int Sentinels { get; init; } = 100;
    /// <summary>Sentences sampled from the input (0 = all).</summary>
    public int InputSentenceSize { get; init; } = 2_000_000;
    public int Seed { get; init; } = 17;
    public int Threads { get; init; } = Math.Max(1, Environment.ProcessorCount);
}

/// <summary>
/// Trains a small SentencePiece tokenizer on local text with Debian's <c>spm_train</c>
/// (package <c>sentencepiece</c>), with the settings Microsoft.ML.Tokenizers reads and that
/// round-trip text exactly: identity normalisation, byte fallback (no unknown tokens),
/// whitespace kept as it is, digits split, the released code's special ids (pad 0, bos 1,
/// eos 2, unk 3) and the span-corruption sentinels as user-defined pieces.
/// </summary>
public static class TokenizerTraining
{
    /// <summary>Trains on the text files given (one sentence or paragraph per line) and writes
    /// <paramref name="outputPrefix"/>.model and .vocab; returns the model path.</summary>
    public static string TrainSentencePiece(IReadOnlyList<string> inputFiles, string outputPrefix, SentencePieceTrainingOptions o, Action<string>? log = null)
    {
        if (inputFiles.Count == 0) throw new ArgumentException("no input files to train a tokenizer on");
        foreach (var f in inputFiles) if (!File.Exists(f)) throw new FileNotFoundException($"{f}: training text not found", f);
        var exe = FindSpmTrain() ?? throw new InvalidOperationException(
            "spm_train not found: install Debian's sentencepiece package (`apt-get install sentencepiece`; `slm data build` does it)");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPrefix))!);
        var symbols = string.Join(",", Enumerable.Range(0, o.Sentinels).Select(i => $"<extra_id_{i}>"));
        // Trained in a scratch folder under a fixed relative prefix (the model file records its
        // prefix, so this keeps the bytes reproducible), then moved: a failed run leaves nothing.
        var work = Path.Combine(Path.GetTempPath(), $"notebookslm-spm-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        var tmpPrefix = Path.Combine(work, "model");
        var args = new List<string>
        {
            $"--input={string.Join(",", inputFiles.Select(Path.GetFullPath))}", "--model_prefix=model", $"--vocab_size={o.VocabSize}",
            $"--model_type={o.ModelType}", "--normalization_rule_name=identity", "--byte_fallback=true",
            "--remove_extra_whitespaces=false", "--split_digits=true", "--allow_whitespace_only_pieces=true",
            "--character_coverage=0.9995", "--max_sentence_length=16384",
            "--pad_id=0", "--bos_id=1", "--eos_id=2", "--unk_id=3",
            $"--user_defined_symbols={symbols}", $"--input_sentence_size={o.InputSentenceSize}",
            "--shuffle_input_sentence=true", $"--random_seed={o.Seed}", $"--num_threads={o.Threads}",
        };
        var clock = Stopwatch.StartNew();
        var run = ProcessRunner.Run(exe, args, work);
        if (run.ExitCode != 0)
        {
            Directory.Delete(work, recursive: true);
            var tail = string.Join('\n', run.Stderr.Split('\n').TakeLast(8));
            throw new InvalidOperationException($"spm_train failed (exit {run.ExitCode}) on {string.Join(", ", inputFiles)}:\n{tail}");
        }
        foreach (var ext in new[] { ".model", ".vocab" }) File.Move(tmpPrefix + ext, outputPrefix + ext, overwrite: true);
        Directory.Delete(work, recursive: true);
        log?.Invoke($"trained {o.ModelType} tokenizer, vocab {o.VocabSize}, in {clock.Elapsed.TotalSeconds:F0} s -> {outputPrefix}.model");
        return outputPrefix + ".model";
    }

    /// <summary>
    /// Trains on documents (edu-local's train split, say): their paragraphs, one a line, go to a
    /// scratch file that spm_train samples from. <paramref name="source"/> names them in the log.
    /// Returns the .model path.
    /// </summary>
    public static string TrainOnDocuments(IEnumerable<string> documents, string source, string outputPrefix, SentencePieceTrainingOptions o, Action<string>? log = null)
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"notebookslm-spm-input-{Guid.NewGuid():N}.txt");
        try
        {
            long lines = 0;
            using (var w = new StreamWriter(scratch, false, new UTF8Encoding(false)))
                foreach (var text in documents)
                    foreach (var para in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
                    {
                        // spm_train reads a line as a sentence; inner newlines (code blocks) become spaces.
                        w.Write(para.Replace('\n', ' '));
                        w.Write('\n');
                        lines++;
                    }
            log?.Invoke($"{lines:N0} paragraphs from {source}");
            return TrainSentencePiece([scratch], outputPrefix, o, log);
        }
        finally { File.Delete(scratch); }
    }

    static string? FindSpmTrain() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "spm_train")).FirstOrDefault(File.Exists);
}
