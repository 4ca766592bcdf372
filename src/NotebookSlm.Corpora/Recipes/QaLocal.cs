using System.Diagnostics;
using System.Text.Json;

namespace NotebookSlm.Corpora;

/// <summary>
/// qa-local: an offline stand-in for SQuAD 2.0 (extractive QA with unanswerable questions).
/// The contexts are real text; the questions are template questions (QaTemplates), labelled
/// as such, with answers copied verbatim from the context:
/// <list type="bullet">
/// <item>WordNet: glossary paragraphs of 8 consecutive synsets of one lexicographer file,
/// articles of 8 paragraphs; templates wn-def and wn-mean;</item>
/// <item>man pages: paragraphs of 25-200 words, DESCRIPTION first, then the other sections
/// but NAME and SYNOPSIS (up to 6 a page, duplicates across pages dropped; pages without a
/// DESCRIPTION and gcloud alpha/beta copies left out), one article a page; man-cloze;</item>
/// <item>State of the Union: each address cut into paragraphs of consecutive sentences of at
/// least 100 words (the edition has no paragraph breaks), one article an address; sotu-cloze.</item>
/// </list>
/// Each paragraph keeps up to two answerable questions (one per template where it has two,
/// from different entries or sentences) and gives one more question to its neighbour in the
/// same article (the next paragraph, the previous for the last) as unanswerable, provided the
/// answer string does not occur there (case-insensitive): about a third are unanswerable
/// (see Pick for the order when a paragraph has few candidates).
/// Picks are seeded per paragraph. Articles are split by a hash of (seed, article key): val
/// 5%, test 5%. Ids are "&lt;template&gt;-&lt;number&gt;". Output: train.json, val.json, test.json in
/// the SQuAD v2.0 layout.
/// </summary>
public sealed class QaLocal : ICorpusRecipe
{
    public const int SynsetsPerParagraph = 8, ParagraphsPerArticle = 8, SotuParagraphWords = 100, ManParagraphsPerPage = 6;

    public string Name => "qa-local";
    // 2: written through Readers.SquadJson (answer_start in code points, the reader's key order).
    public string Version => "2";
    public string Description =>
        "SQuAD-2.0-style extractive QA stand-in (not SQuAD): real contexts (WordNet glossary paragraphs, man page DESCRIPTION " +
        "paragraphs, State of the Union addresses cut into paragraphs) with template questions (definition questions and " +
        "cloze questions whose answer is a blanked span); about a third are unanswerable, asked of a neighbouring paragraph " +
        "that does not contain the answer. Answers are exact spans of the context.";
    public IReadOnlyList<string> AptPackages => ["wordnet-base", "manpages", "manpages-dev"];
    public IReadOnlyList<string> NpmPackages => [SotuSpeeches.NpmPackage];

    sealed record Paragraph(string Context, List<QaCandidate> Candidates)
    {
        public List<(QaCandidate Q, bool Impossible)> Picked { get; } = [];
    }

    sealed record Article(string Key, string Title, string Source, List<Paragraph> Paragraphs);

    public Manifest Build(BuildContext ctx)
    {
        var clock = Stopwatch.StartNew();
        TaskCorpusSupport.CheckScale(ctx.Scale);
        Directory.CreateDirectory(ctx.OutputDir);
        var removed = new TaskCounts();
        var counts = new TaskCounts();
        var articles = new List<Article>();
        int wnFiles = WordNetArticles(ctx, articles);
        int manFiles = ManArticles(ctx, articles, removed);
        int sotuFiles = SotuArticles(ctx, articles);

        foreach (var a in articles) Pick(a, ctx.Seed, removed, counts);

        var bySplit = new Dictionary<string, List<Article>> { ["train"] = [], ["val"] = [], ["test"] = [] };
        foreach (var a in articles)
        {
            int empty = a.Paragraphs.RemoveAll(p => p.Picked.Count == 0);
            if (empty > 0) removed.Bump("paragraph without questions", empty);
            if (a.Paragraphs.Count == 0) { removed.Bump("article without questions"); continue; }
            bySplit[Splits.Assign(a.Key, ctx.Seed)].Add(a);
            counts.Bump($"articles.{a.Source}");
        }

        var numbers = new TaskCounts();
        long contextWords = 0, questionWords = 0, answerWords = 0, paragraphs = 0;
        var splitCounts = new List<(string, string, long)>();
        foreach (var (split, list) in bySplit)
        {
            long questions = 0;
            // Written by the SQuAD reader's writer, which checks every span and counts
            // answer_start in code points as the format does.
            var written = new List<SquadArticle>();
            foreach (var a in list)
            {
                var squadParagraphs = new List<SquadParagraph>();
                foreach (var p in a.Paragraphs)
                {
                    paragraphs++;
                    contextWords += DataFormats.Words(p.Context);
                    var qas = new List<SquadQuestion>();
                    foreach (var (q, impossible) in p.Picked)
                    {
                        numbers.Bump(q.Template);
                        counts.Bump($"{q.Template}.{(impossible ? "unanswerable" : "answerable")}");
                        counts.Bump(impossible ? "unanswerable" : "answerable");
                        questionWords += DataFormats.Words(q.Question);
                        if (!impossible) answerWords += DataFormats.Words(q.Answer);
                        qas.Add(new SquadQuestion($"{q.Template}-{numbers[q.Template]:D6}", q.Question,
                            impossible ? [] : [new SquadAnswer(q.Answer, q.Start)], impossible));
                        questions++;
                    }
                    squadParagraphs.Add(new SquadParagraph(p.Context, qas));
                }
                written.Add(new SquadArticle(a.Title, squadParagraphs));
            }
            SquadJson.Write(Path.Combine(ctx.OutputDir, $"{split}.json"), written);
            splitCounts.Add((split, $"{split}.json", questions));
            counts.Bump($"{split}.articles", list.Count);
            counts.Bump($"{split}.paragraphs", list.Sum(a => a.Paragraphs.Count));
        }
        long total = splitCounts.Sum(s => s.Item3);
        counts.Bump("questions", total);
        counts.Bump("paragraphs", paragraphs);
        counts.Bump("mean_context_words", TaskCorpusSupport.Mean(contextWords, paragraphs));
        counts.Bump("mean_question_words", TaskCorpusSupport.Mean(questionWords, total));
        counts.Bump("mean_answer_words", TaskCorpusSupport.Mean(answerWords, counts.GetValueOrDefault("answerable")));

        var sotuDir = ctx.Sources.NpmPackageDir(SotuSpeeches.NpmPackage);
        var sources = new List<SourceInfo>
        {
            new("WordNet 3.0", "wordnet-base", Provisioning.PackageVersion("wordnet-base"), "WordNet 3.0 licence (permissive)", wnFiles, ctx.Sources.WordNet),
            new("man pages", "manpages", Provisioning.PackageVersion("manpages"), "various free licences (/usr/share/doc/manpages/copyright); pages of other packages under their own licences",
                manFiles, $"English pages under {ctx.Sources.ManPages}/man1..man8, every installed package"),
            new("State of the Union addresses 1790-2021", SotuSpeeches.NpmPackage, Provisioning.PackageVersion(SotuSpeeches.NpmPackage),
                "Apache-2.0 package; speeches public domain", sotuFiles, sotuDir),
        };
        return TaskCorpusSupport.Finish(ctx, this, "squad", sources, splitCounts, counts, removed,
            ["real contexts", "template questions", "SQuAD 2.0 stand-in"], clock);
    }

    /// <summary>
    /// Seeded picks for one article. For each paragraph, in order: a first answerable
    /// question; one question handed to the neighbouring paragraph as unanswerable (its answer
    /// must not occur there); a second answerable question. Each pick comes from an entry or
    /// sentence not used yet, and answerable picks prefer a template not used yet, so a
    /// paragraph with few candidates gives one answerable and one unanswerable question. A
    /// paragraph with a single usable entry or sentence hands its answerable question on (the
    /// same question, answerable on its own paragraph and unanswerable on the neighbour, as in
    /// SQuAD 2.0's adversarial pairs); the manifest counts these.
    /// </summary>
    static void Pick(Article article, int seed, TaskCounts removed, TaskCounts reused)
    {
        var ps = article.Paragraphs;
        for (int i = 0; i < ps.Count; i++)
        {
            var p = ps[i];
            var pool = Shuffling.Shuffle(p.Candidates, TaskCorpusSupport.ItemSeed(seed, $"{article.Key}#{i}"));
            var usedAnchors = new HashSet<int>();
            var usedTemplates = new HashSet<string>(StringComparer.Ordinal);
            QaCandidate? Next(Func<QaCandidate, bool> ok) =>
                pool.FirstOrDefault(c => !usedAnchors.Contains(c.Anchor) && !usedTemplates.Contains(c.Template) && ok(c))
                ?? pool.FirstOrDefault(c => !usedAnchors.Contains(c.Anchor) && ok(c));

            var first = Next(_ => true);
            if (first is null) continue;
            p.Picked.Add((first, false));
            usedAnchors.Add(first.Anchor); usedTemplates.Add(first.Template);

            if (ps.Count < 2) removed.Bump("unanswerable: article has one paragraph");
            else
            {
                var neighbour = ps[i + 1 < ps.Count ? i + 1 : i - 1];
                bool any = pool.Any(c => !usedAnchors.Contains(c.Anchor));
                bool Absent(QaCandidate c) => !neighbour.Context.Contains(c.Answer, StringComparison.OrdinalIgnoreCase);
                var chosen = Next(Absent);
                if (chosen is not null) usedAnchors.Add(chosen.Anchor);
                else if (!any && Absent(first)) { chosen = first; reused.Bump("unanswerable copies of an answerable question"); }
                if (chosen is null) removed.Bump(any ? "unanswerable: answer occurs in the neighbour" : "unanswerable: no candidate absent from the neighbour");
                else neighbour.Picked.Add((chosen, true));
            }

            var second = Next(_ => true);
            if (second is not null) p.Picked.Add((second, false));
        }
    }

    int WordNetArticles(BuildContext ctx, List<Article> articles)
    {
        int files = 0;
        foreach (var name in WordNetData.DataFiles)
        {
            var path = Path.Combine(ctx.Sources.WordNet, name);
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: WordNet data file not found (install wordnet-base)", path);
            files++;
            foreach (var group in Runs(WordNetData.Read(path), s => s.LexFile))
            {
                var paragraphs = group.Chunk(SynsetsPerParagraph).ToList();
                int n = 0;
                foreach (var chunk in paragraphs.Chunk(ParagraphsPerArticle))
                {
                    n++;
                    var key = $"wordnet/{group[0].LexFile}/{n}";
                    if (!TaskCorpusSupport.Keep(key, ctx.Scale)) continue;
                    var ps = chunk.Select(c => { var (context, cands) = QaTemplates.Glossary(c); return new Paragraph(context, cands); }).ToList();
                    articles.Add(new Article(key, $"WordNet {group[0].LexFile} {n}", "wordnet", ps));
                }
            }
        }
        return files;
    }

    int ManArticles(BuildContext ctx, List<Article> articles, TaskCounts removed)
    {
        if (!Directory.Exists(ctx.Sources.ManPages)) throw new DirectoryNotFoundException($"{ctx.Sources.ManPages}: man pages not found");
        int files = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in ManPages.Files(ctx.Sources.ManPages, ctx.Sources.ManPagePackages))
        {
            var page = TaskCorpusSupport.ManPageName(file);
            var key = "man/" + page;
            if (!TaskCorpusSupport.Keep(key, ctx.Scale)) continue;
            if (TaskCorpusSupport.IsPreviewCopy(page)) { removed.Bump("man: gcloud alpha/beta copy of a GA page"); continue; }
            files++;
            var parsed = ManPages.Parse(ManPages.ReadSource(file), file);
            if (parsed?.Get("DESCRIPTION") is null) { removed.Bump("man: no DESCRIPTION section"); continue; }
            var command = page[..page.LastIndexOf('.')];
            var ps = new List<Paragraph>();
            var sections = parsed.Sections.Where(s => s.Heading == "DESCRIPTION")
                .Concat(parsed.Sections.Where(s => s.Heading is not ("DESCRIPTION" or "NAME" or "SYNOPSIS")));
            foreach (var (_, body) in sections)
                foreach (var text in body.Split("\n\n"))
                {
                    int words = DataFormats.Words(text);
                    if (words is < 25 or > 200) { removed.Bump("man: paragraph outside 25-200 words"); continue; }
                    if (!seen.Add(text)) { removed.Bump("man: duplicate paragraph"); continue; }
                    if (ps.Count == ManParagraphsPerPage) { removed.Bump("man: paragraph beyond 6 a page"); continue; }
                    ps.Add(new Paragraph(text, QaTemplates.Cloze(text, "man-cloze", command, options: true)));
                }
            if (ps.Count > 0) articles.Add(new Article(key, $"{parsed.Title}({parsed.Section})", "man", ps));
        }
        return files;
    }

    int SotuArticles(BuildContext ctx, List<Article> articles)
    {
        var files = SotuSpeeches.Files(ctx.Sources.NpmPackageDir(SotuSpeeches.NpmPackage));
        foreach (var file in files)
        {
            var key = "sotu/" + Path.GetFileNameWithoutExtension(file);
            if (!TaskCorpusSupport.Keep(key, ctx.Scale)) continue;
            var speech = SotuSpeeches.Read(file);
            var ps = Sentences.Group(Sentences.Collapse(speech.Text), SotuParagraphWords)
                .Select(text => new Paragraph(text, QaTemplates.Cloze(text, "sotu-cloze", null, options: false))).ToList();
            articles.Add(new Article(key, $"State of the Union {speech.Year} ({speech.Name})", "sotu", ps));
        }
        return files.Count;
    }

    /// <summary>Maximal runs of consecutive items with the same key.</summary>
    static IEnumerable<List<T>> Runs<T>(IEnumerable<T> items, Func<T, string> key)
    {
        var run = new List<T>();
        foreach (var item in items)
        {
            if (run.Count > 0 && key(run[0]) != key(item)) { yield return run; run = []; }
            run.Add(item);
        }
        if (run.Count > 0) yield return run;
    }
}
