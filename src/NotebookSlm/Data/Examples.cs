namespace NotebookSlm.Data;

/// <summary>One text-to-text example: the authors' JSONL format <c>{"source": ..., "target": ...}</c>.</summary>
public sealed record TextPair(string Source, string Target, string? Id = null)
{
    /// <summary>The task cue that <see cref="Source"/> ends with: its template's text after the
    /// last placeholder (<c>"\n###Answer\n"</c>), which <see cref="Batching.Tokenize"/> keeps
    /// whole when it truncates a long source. Set by <see cref="Tasks"/>; null for pairs
    /// built otherwise (the authors' JSONL has no such field), which truncate on the right.</summary>
    public string? Cue { get; init; }
}

/// <summary>SQuAD 2.0: articles hold paragraphs; each paragraph a context and its questions.
/// An unanswerable question has IsImpossible and no answers.</summary>
public sealed record SquadAnswer(string Text, int Start);
public sealed record SquadQuestion(string Id, string Question, IReadOnlyList<SquadAnswer> Answers, bool IsImpossible);
public sealed record SquadParagraph(string Context, IReadOnlyList<SquadQuestion> Questions);
public sealed record SquadArticle(string Title, IReadOnlyList<SquadParagraph> Paragraphs);

/// <summary>What a SQuAD answer is scored against: every gold answer text of one question,
/// in file order (the dev set has several per question, written by different annotators);
/// none for an unanswerable question.</summary>
public sealed record QaReference(string Id, IReadOnlyList<string> Answers);

/// <summary>XSum: a document and its one-sentence summary.</summary>
public sealed record XsumExample(string Id, string Document, string Summary);

/// <summary>CodeXGLUE code-to-code translation: one Java method and its C# counterpart.</summary>
public sealed record CodePair(string Java, string CSharp);

/// <summary>IELTS-style essay: the prompt, the essay and its band score.</summary>
public sealed record Essay(string Prompt, string Text, double Band);

/// <summary>A pretraining document (FineWeb-Edu: text with an educational score; plain text: score NaN).</summary>
public sealed record Document(string Id, string Text, double Score);

/// <summary>
/// Malformed input: names the file, the line (1-based; 0 when the format has none) and the
/// field, and says what was expected.
/// </summary>
public sealed class DataFormatException(string file, long line, string field, string message)
    : Exception(line > 0 ? $"{file}:{line}: field '{field}': {message}" : $"{file}: field '{field}': {message}")
{
    public string File { get; } = file;
    public long Line { get; } = line;
    public string Field { get; } = field;
}
