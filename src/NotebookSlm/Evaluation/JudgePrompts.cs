using System.Text;
using System.Text.Json;

namespace NotebookSlm.Evaluation;

/// <summary>
/// The judge's instructions, one per Ragas step, each naming the JSON it wants back. Written
/// for this project after the Ragas metric definitions (Es et al. 2023; the paper's "Ragas-GPT",
/// section 4.1); the scores depend on the judge model, so results name it.
/// </summary>
public static class JudgePrompts
{
    public static string Statements(string question, string answer) => $$"""
        Break the answer to the question into short statements that each stand on their own:
        no pronouns that point outside the statement, one fact each.
        Reply with JSON only: {"statements": ["...", "..."]}

        Question: {{question}}
        Answer: {{answer}}
        """;

    public static string Supported(string context, IReadOnlyList<string> statements) => $$"""
        For each statement, decide whether the context supports it (1) or not (0): a statement
        is supported only if it can be inferred from the context alone.
        Reply with JSON only: {"verdicts": [{"statement": "...", "reason": "...", "verdict": 0 or 1}, ...]},
        one entry per statement, in order.

        Context:
        {{context}}

        Statements:
        {{Numbered(statements)}}
        """;

    public static string Question(string answer) => """
        Write the question that this answer answers. Say whether the answer is noncommittal
        (evasive, vague or "I don't know": 1) or commits to an answer (0).
        Reply with JSON only: {"question": "...", "noncommittal": 0 or 1}

        Answer: 
        """ + answer;

    public static string Useful(string question, string context, string reference) => $$"""
        Was the context useful in arriving at the reference answer to the question? 1 for
        useful, 0 for not.
        Reply with JSON only: {"reason": "...", "verdict": 0 or 1}

        Question: {{question}}
        Context: {{context}}
        Reference answer: {{reference}}
        """;

    public static string Attributed(string question, string context, string reference) => $$"""
        Split the reference answer into its statements and decide for each whether the context
        supports it (1) or not (0).
        Reply with JSON only: {"classifications": [{"statement": "...", "reason": "...", "attributed": 0 or 1}, ...]}

        Question: {{question}}
        Context:
        {{context}}
        Reference answer: {{reference}}
        """;

    static string Numbered(IReadOnlyList<string> items)
    {
        var b = new StringBuilder();
        for (int i = 0; i < items.Count; i++) b.Append(i + 1).Append(". ").AppendLine(items[i]);
        return b.ToString();
    }
}

/// <summary>Reads a judge's reply leniently: the first JSON object in it, past code fences and
/// prose; null when there is none.</summary>
public static class JudgeJson
{
    public static JsonElement? FirstObject(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        for (int start = text.IndexOf('{'); start >= 0; start = text.IndexOf('{', start + 1))
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text[start..]), new JsonReaderOptions { AllowTrailingCommas = true });
            try
            {
                if (JsonDocument.TryParseValue(ref reader, out var doc) && doc.RootElement.ValueKind == JsonValueKind.Object)
                    return doc.RootElement.Clone();
            }
            catch (JsonException) { }
        }
        return null;
    }
}
