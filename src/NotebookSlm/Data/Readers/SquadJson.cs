using System.Text.Json;
using NotebookSlm.Checkpoints;
using NotebookSlm.Runtime;

namespace NotebookSlm.Data.Readers;

/// <summary>
/// SQuAD 2.0 JSON (<c>train-v2.0.json</c>, <c>dev-v2.0.json</c>): <c>{"version", "data": [{"title",
/// "paragraphs": [{"context", "qas": [{"id", "question", "answers": [{"text", "answer_start"}],
/// "is_impossible", "plausible_answers"?}]}]}]}</c>. Read validates what the task relies on:
/// each answer lies inside its context and matches it at answer_start, an impossible question
/// has no answers and an answerable one has at least one, ids are unique. Errors name the JSON
/// path as the field and its line. plausible_answers are not kept; a missing is_impossible
/// (SQuAD 1.1 files) reads as false.
/// <para>answer_start in the file counts Unicode code points (Python string indices);
/// <see cref="SquadAnswer.Start"/> is the UTF-16 index, so <c>context.Substring(Start,
/// Text.Length)</c> works. The two differ only in contexts with characters outside the BMP.</para>
/// </summary>
public static class SquadJson
{
    /// <summary>The articles of a file, validated.</summary>
    public static IReadOnlyList<SquadArticle> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException e)
        {
            throw new DataFormatException(path, (e.LineNumber ?? -1) + 1, "(json)", $"expected SQuAD 2.0 JSON: {e.Message}");
        }
        using (doc) return new Walker(path, bytes).Articles(doc.RootElement);
    }

    /// <summary>Writes the SQuAD 2.0 layout (version "v2.0", qas before context as in the
    /// released files), compact, after checking the same rules Read enforces.</summary>
    public static void Write(string path, IEnumerable<SquadArticle> articles)
    {
        var list = articles.ToList();
        Check(list);
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, JsonLines.WriterOptions);
            w.WriteStartObject();
            w.WriteString("version", "v2.0");
            w.WriteStartArray("data");
            foreach (var a in list)
            {
                w.WriteStartObject();
                w.WriteString("title", a.Title);
                w.WriteStartArray("paragraphs");
                foreach (var p in a.Paragraphs)
                {
                    w.WriteStartObject();
                    w.WriteStartArray("qas");
                    foreach (var q in p.Questions)
                    {
                        w.WriteStartObject();
                        w.WriteString("question", q.Question);
                        w.WriteString("id", q.Id);
                        w.WriteStartArray("answers");
                        foreach (var ans in q.Answers)
                        {
                            w.WriteStartObject();
                            w.WriteString("text", ans.Text);
                            w.WriteNumber("answer_start", CodePoints.FromUtf16(p.Context, ans.Start));
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                        w.WriteBoolean("is_impossible", q.IsImpossible);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteString("context", p.Context);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.Flush();
            stream.WriteByte((byte)'\n');
        });
    }

    static void Check(List<SquadArticle> articles)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < articles.Count; i++)
            for (int j = 0; j < articles[i].Paragraphs.Count; j++)
            {
                var p = articles[i].Paragraphs[j];
                for (int k = 0; k < p.Questions.Count; k++)
                {
                    var q = p.Questions[k];
                    var at = $"data[{i}].paragraphs[{j}].qas[{k}]";
                    if (!ids.Add(q.Id)) throw new ArgumentException($"{at}.id: id '{q.Id}' is used twice; SQuAD ids must be unique");
                    if (q.IsImpossible == q.Answers.Count > 0)
                        throw new ArgumentException($"{at}.answers: is_impossible is {q.IsImpossible} with {q.Answers.Count} answers; expected answers exactly when answerable");
                    foreach (var ans in q.Answers)
                        if (ans.Start < 0 || ans.Start + ans.Text.Length > p.Context.Length || string.CompareOrdinal(p.Context, ans.Start, ans.Text, 0, ans.Text.Length) != 0)
                            throw new ArgumentException($"{at}.answers: answer '{ans.Text}' does not occur in the context at {ans.Start}");
                }
            }
    }

    /// <summary>Walks a parsed document; errors carry the JSON path and its line.</summary>
    sealed class Walker(string file, byte[] bytes)
    {
        readonly Dictionary<string, string> ids = new(StringComparer.Ordinal);

        DataFormatException Error(string at, string message) => new(file, JsonLocator.LineOf(bytes, at), at, message);

        JsonElement Get(JsonElement obj, string objPath, string name, JsonValueKind kind, string expected)
        {
            var at = objPath.Length == 0 ? name : $"{objPath}.{name}";
            if (!obj.TryGetProperty(name, out var v)) throw Error(at, $"missing; expected {expected}");
            if (v.ValueKind != kind) throw Error(at, $"expected {expected}, found {v.ValueKind.ToString().ToLowerInvariant()}");
            return v;
        }

        string Str(JsonElement obj, string objPath, string name) =>
            Get(obj, objPath, name, JsonValueKind.String, "a string").GetString()!;

        void ExpectObject(JsonElement e, string at)
        {
            if (e.ValueKind != JsonValueKind.Object) throw Error(at, $"expected an object, found {e.ValueKind.ToString().ToLowerInvariant()}");
        }

        public IReadOnlyList<SquadArticle> Articles(JsonElement root)
        {
            ExpectObject(root, "(root)");
            var data = Get(root, "", "data", JsonValueKind.Array, "an array of articles");
            var articles = new List<SquadArticle>(data.GetArrayLength());
            int i = 0;
            foreach (var a in data.EnumerateArray())
            {
                var at = $"data[{i++}]";
                ExpectObject(a, at);
                var title = Str(a, at, "title");
                var paragraphs = new List<SquadParagraph>();
                int j = 0;
                foreach (var p in Get(a, at, "paragraphs", JsonValueKind.Array, "an array of paragraphs").EnumerateArray())
                    paragraphs.Add(Paragraph(p, $"{at}.paragraphs[{j++}]"));
                articles.Add(new SquadArticle(title, paragraphs));
            }
            return articles;
        }

        SquadParagraph Paragraph(JsonElement p, string at)
        {
            ExpectObject(p, at);
            var context = Str(p, at, "context");
            var questions = new List<SquadQuestion>();
            int k = 0;
            foreach (var q in Get(p, at, "qas", JsonValueKind.Array, "an array of questions").EnumerateArray())
                questions.Add(Question(q, $"{at}.qas[{k++}]", context));
            return new SquadParagraph(context, questions);
        }

        SquadQuestion Question(JsonElement q, string at, string context)
        {
            ExpectObject(q, at);
            var id = Str(q, at, "id");
            if (!ids.TryAdd(id, at)) throw Error($"{at}.id", $"id '{id}' is already used at {ids[id]}; expected unique ids");
            var question = Str(q, at, "question");
            bool impossible = false;
            if (q.TryGetProperty("is_impossible", out var imp))
            {
                if (imp.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    throw Error($"{at}.is_impossible", $"expected true or false, found {imp.ValueKind.ToString().ToLowerInvariant()}");
                impossible = imp.GetBoolean();
            }
            var answers = new List<SquadAnswer>();
            int n = 0;
            foreach (var a in Get(q, at, "answers", JsonValueKind.Array, "an array of answers").EnumerateArray())
                answers.Add(Answer(a, $"{at}.answers[{n++}]", context));
            if (impossible && answers.Count > 0)
                throw Error($"{at}.answers", $"is_impossible is true but {answers.Count} answer(s) are given; expected none (SQuAD 2.0 keeps them in plausible_answers)");
            if (!impossible && answers.Count == 0)
                throw Error($"{at}.answers", "no answers but is_impossible is not true; expected at least one answer");
            return new SquadQuestion(id, question, answers, impossible);
        }

        SquadAnswer Answer(JsonElement a, string at, string context)
        {
            ExpectObject(a, at);
            var text = Str(a, at, "text");
            var startElement = Get(a, at, "answer_start", JsonValueKind.Number, "an integer character offset");
            if (!startElement.TryGetInt32(out int start))
                throw Error($"{at}.answer_start", $"expected an integer character offset, found {startElement.GetRawText()}");
            int start16 = CodePoints.ToUtf16(context, start);
            if (start < 0 || start16 < 0 || start16 + text.Length > context.Length)
                throw Error($"{at}.answer_start",
                    $"answer_start {start} with a {text.Length}-character answer lies outside the {context.Length}-character context; expected 0 <= answer_start <= {context.Length - text.Length}");
            if (string.CompareOrdinal(context, start16, text, 0, text.Length) != 0)
                throw Error($"{at}.text",
                    $"answer '{text}' does not match the context at answer_start {start}, which reads '{context.Substring(start16, text.Length)}'");
            return new SquadAnswer(text, start16);
        }
    }
}
