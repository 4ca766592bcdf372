using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using NotebookSlm.Evaluation;

namespace NotebookSlm.Cli.Commands;

/// <summary><c>slm score squad|rouge</c>: the reference metrics on files of predictions, with
/// the output of the reference scripts (evaluate-v2.0.py; rouge-score's mean scores).</summary>
static class ScoreCommand
{
    public static Command Create()
    {
        var score = new Command("score", "score predictions against references (SQuAD 2.0 EM/F1, ROUGE)");
        score.Subcommands.Add(SquadCommand());
        score.Subcommands.Add(RougeCommand());
        return score;
    }

    static readonly JsonSerializerOptions Indented = new(Cli.Json) { WriteIndented = true };

    static Command SquadCommand()
    {
        var data = new Argument<string>("data") { Description = "SQuAD 2.0 JSON (e.g. dev-v2.0.json)" };
        var predictions = new Argument<string>("predictions") { Description = "JSON object: question id -> answer text (\"\" for no answer)" };
        var cmd = new Command("squad", "exact match and F1 in percent, as the official evaluate-v2.0.py prints them") { data, predictions };
        cmd.SetAction(r => Cli.Run(() =>
        {
            var e = Squad.Evaluate(r.GetValue(data)!, r.GetValue(predictions)!);
            // The official script's message, but on stderr so that stdout stays JSON.
            foreach (var id in e.Missing) Console.Error.WriteLine($"Missing prediction for {id}");
            var json = new JsonObject();
            void Add(string prefix, SquadTotals? t)
            {
                if (t is null) return;
                json[prefix + "exact"] = t.Exact;
                json[prefix + "f1"] = t.F1;
                json[prefix + "total"] = t.Total;
            }
            Add("", e.All);
            Add("HasAns_", e.HasAns);
            Add("NoAns_", e.NoAns);
            Console.WriteLine(json.ToJsonString(Indented));
            return 0;
        }));
        return cmd;
    }

    static Command RougeCommand()
    {
        var targets = new Option<string>("--targets") { Description = "reference texts, one example a line", Required = true };
        var predictions = new Option<string>("--predictions") { Description = "predicted texts, one example a line, in the same order", Required = true };
        var stem = new Option<bool>("--stem") { Description = "Porter-stem tokens longer than 3 characters (rouge-score's use_stemmer)" };
        var cmd = new Command("rouge", "mean precision, recall and F-measure of ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum") { targets, predictions, stem };
        cmd.SetAction(r => Cli.Run(() =>
        {
            string targetPath = r.GetValue(targets)!, predictionPath = r.GetValue(predictions)!;
            var t = Records(targetPath);
            var p = Records(predictionPath);
            if (t.Count != p.Count)
                throw new ArgumentException($"{targetPath} has {t.Count} lines but {predictionPath} has {p.Count}; expected one prediction per target line");
            if (t.Count == 0) throw new ArgumentException($"{targetPath} and {predictionPath} have no lines to score");
            var mean = Rouge.Mean(t.Zip(p), r.GetValue(stem));
            var json = new JsonObject { ["examples"] = t.Count, ["stem"] = r.GetValue(stem) };
            foreach (var (name, s) in mean.Named())
                json[name] = new JsonObject { ["precision"] = s.Precision, ["recall"] = s.Recall, ["fmeasure"] = s.FMeasure };
            Console.WriteLine(json.ToJsonString(Indented));
            return 0;
        }));
        return cmd;
    }

    /// <summary>The examples of a file as rouge-score's command line reads them (its
    /// <c>io._record_gen</c> with the default delimiter "\n"): the text split on newlines
    /// (\r\n and \r count as \n, as Python reads text files), without the empty record after a
    /// final newline. An empty line in between is an example with empty text.</summary>
    static List<string> Records(string path)
    {
        var text = File.ReadAllText(path).Replace("\r\n", "\n").Replace('\r', '\n');
        var records = text.Split('\n').ToList();
        if (records[^1].Length == 0) records.RemoveAt(records.Count - 1);
        return records;
    }
}
