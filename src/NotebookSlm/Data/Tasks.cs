using System.Text;

namespace NotebookSlm.Data;

/// <summary>
/// The prompt templates that turn each task of the paper into source/target pairs for
/// training and evaluation, in one place. The QA template is the authors' released one,
/// verbatim; the others follow its "###Section" layout. Placeholders are filled in one pass,
/// so a question that itself contains "{context}" is kept literally. Each pair records its
/// template's cue (<see cref="CueOf"/>), so that truncation keeps it.
/// </summary>
public static class Tasks
{
    /// <summary>SQuAD 2.0 question answering (the authors' released template).</summary>
    public const string QaTemplate = "Answer the following question based only on the context.\n###Question\n{question}\n###Context\n{context}\n###Answer\n";
    /// <summary>The target for a question the context cannot answer.</summary>
    public const string Unanswerable = "unanswerable";
    /// <summary>XSum one-sentence summarisation.</summary>
    public const string SummaryTemplate = "Summarize the following document in one sentence.\n###Document\n{document}\n###Summary\n";
    /// <summary>CodeXGLUE Java to C# translation.</summary>
    public const string CodeTemplate = "Translate the following Java code to C#.\n###Java\n{java}\n###C#\n";
    /// <summary>IELTS Task 2 essay writing.</summary>
    public const string EssayTemplate = "Write an essay for the following prompt.\n###Prompt\n{prompt}\n###Essay\n";

    /// <summary>Every question of every paragraph, in file order; id = question id; target =
    /// the first answer, or "unanswerable".</summary>
    public static IEnumerable<TextPair> Qa(IEnumerable<SquadArticle> articles) =>
        from a in articles from p in a.Paragraphs from q in p.Questions select Qa(p.Context, q);

    /// <summary>The gold answers of every question, in the order of <see cref="Qa(IEnumerable{SquadArticle})"/>.
    /// A pair's Target is one answer because training needs one; scoring takes the best match
    /// over all of them, so they are kept here.</summary>
    public static IEnumerable<QaReference> QaReferences(IEnumerable<SquadArticle> articles) =>
        from a in articles from p in a.Paragraphs from q in p.Questions
        select new QaReference(q.Id, q.Answers.Select(x => x.Text).ToList());

    /// <summary>One question against its context.</summary>
    public static TextPair Qa(string context, SquadQuestion q) =>
        new(Fill(QaTemplate, ("question", q.Question), ("context", context)),
            q.IsImpossible || q.Answers.Count == 0 ? Unanswerable : q.Answers[0].Text, q.Id) { Cue = QaCue };

    /// <summary>Document to summary; id = the XSum id.</summary>
    public static IEnumerable<TextPair> Summarisation(IEnumerable<XsumExample> examples) => examples.Select(Summarisation);

    public static TextPair Summarisation(XsumExample x) => new(Fill(SummaryTemplate, ("document", x.Document)), x.Summary, x.Id) { Cue = SummaryCue };

    /// <summary>Java to C#; no id (CodeXGLUE pairs have none).</summary>
    public static IEnumerable<TextPair> CodeTranslation(IEnumerable<CodePair> pairs) => pairs.Select(CodeTranslation);

    public static TextPair CodeTranslation(CodePair p) => new(Fill(CodeTemplate, ("java", p.Java)), p.CSharp) { Cue = CodeCue };

    /// <summary>Prompt to essay; no id.</summary>
    public static IEnumerable<TextPair> EssayWriting(IEnumerable<Essay> essays) => essays.Select(EssayWriting);

    public static TextPair EssayWriting(Essay e) => new(Fill(EssayTemplate, ("prompt", e.Prompt)), e.Text) { Cue = EssayCue };

    static readonly string? QaCue = CueOf(QaTemplate), SummaryCue = CueOf(SummaryTemplate),
        CodeCue = CueOf(CodeTemplate), EssayCue = CueOf(EssayTemplate);

    /// <summary>A template's cue: its text after the last placeholder (<c>"\n###Answer\n"</c>
    /// for QA), the part that tells the model which task to do and that a filled source ends
    /// with; null when the template ends in a placeholder.</summary>
    public static string? CueOf(string template)
    {
        int close = template.LastIndexOf('}');
        if (close < 0 || template.LastIndexOf('{', close) < 0) throw new ArgumentException($"template has no placeholder: {template}");
        return close == template.Length - 1 ? null : template[(close + 1)..];
    }

    /// <summary>Replaces each <c>{name}</c> of the template by its value in a single left-to-right
    /// pass (values are never rescanned). Every placeholder must be given and every value used.</summary>
    public static string Fill(string template, params (string Name, string Value)[] values)
    {
        var sb = new StringBuilder(template.Length + values.Sum(v => v.Value.Length));
        var used = new bool[values.Length];
        int pos = 0;
        while (pos < template.Length)
        {
            int open = template.IndexOf('{', pos);
            int close = open < 0 ? -1 : template.IndexOf('}', open);
            if (close < 0) { sb.Append(template, pos, template.Length - pos); break; }
            sb.Append(template, pos, open - pos);
            var name = template.AsSpan(open + 1, close - open - 1);
            int k = values.Length - 1;
            while (k >= 0 && !name.SequenceEqual(values[k].Name)) k--;
            if (k < 0) throw new ArgumentException($"template placeholder {{{name}}} has no value; given: {string.Join(", ", values.Select(v => v.Name))}");
            sb.Append(values[k].Value);
            used[k] = true;
            pos = close + 1;
        }
        int unused = Array.IndexOf(used, false);
        if (unused >= 0) throw new ArgumentException($"value '{values[unused].Name}' matches no placeholder of the template");
        return sb.ToString();
    }
}
