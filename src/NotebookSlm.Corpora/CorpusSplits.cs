using NotebookSlm.Data;
using NotebookSlm.Data.Readers;

namespace NotebookSlm.Corpora;

/// <summary>
/// A built corpus folder (its <see cref="Manifest"/> and split files) read as what training
/// consumes: documents for pretraining, task pairs (through <see cref="Tasks"/>' templates)
/// for fine-tuning and evaluation. A plain documents <c>.jsonl</c> file is accepted as well.
/// </summary>
public static class CorpusSplits
{
    /// <summary>The documents of a split: a corpus folder of format "documents", or a
    /// documents JSONL file (which has a single split, and no validation split).</summary>
    public static IEnumerable<string> Documents(string path, string split)
    {
        if (File.Exists(path)) return split == "train" ? DocumentsJsonl.Read(path).Select(d => d.Text) : [];
        var m = Manifest.Read(path);
        if (m.Format != "documents")
            throw new InvalidDataException($"{Path.Combine(path, Manifest.FileName)}: field 'format' is '{m.Format}'; pretraining reads a corpus of format 'documents' (e.g. edu-local)");
        var file = m.SplitPath(path, split);
        return file is null ? [] : DocumentsJsonl.Read(file).Select(d => d.Text);
    }

    /// <summary>The task pairs of a split of a task corpus (squad, xsum, codexglue or ielts),
    /// or none when the corpus has no such split.</summary>
    public static IEnumerable<TextPair> Pairs(string dir, string split)
    {
        var m = Manifest.Read(dir);
        var file = m.SplitPath(dir, split);
        if (file is null) return [];
        return m.Format switch
        {
            "squad" => Tasks.Qa(SquadJson.Read(file)),
            "xsum" => Tasks.Summarisation(XsumJsonl.Read(file)),
            "codexglue" => Tasks.CodeTranslation(CodeXGlue.Read(file)),
            "ielts" => Tasks.EssayWriting(IeltsCsv.Read(file)),
            var f => throw new InvalidDataException($"{Path.Combine(dir, Manifest.FileName)}: field 'format' is '{f}'; fine-tuning reads squad, xsum, codexglue or ielts corpora"),
        };
    }
}
