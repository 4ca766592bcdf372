/// The README's example, end to end on a micro preset: slm pretrain, then slm finetune from its
/// checkpoint, then slm eval; and the configuration errors a user meets first.
module NotebookSlm.Tests.Cli.TrainCliTests

open System
open System.IO
open System.Text.Json
open Expecto
open NotebookSlm.Data
open NotebookSlm.Data.Readers
open NotebookSlm.Corpora
open NotebookSlm.Tests.Common

let temp () =
    let d = Path.Combine(Path.GetTempPath(), $"notebookslm-traincli-{Guid.NewGuid():N}")
    Directory.CreateDirectory d |> ignore
    d

/// A documents file for pretraining and a tiny QA corpus folder (manifest + SQuAD files).
let corpora (dir: string) =
    let docs = Path.Combine(dir, "docs.jsonl")
    let rng = Random 3
    let words = [| "the"; "lamp"; "was"; "lit"; "in"; "harbour"; "north"; "of"; "a"; "town" |]
    DocumentsJsonl.Write(docs, [ for i in 0 .. 29 -> Document($"d{i}", String.Join(" ", Array.init 60 (fun _ -> words[rng.Next words.Length])), nan) ])
    let qa = Path.Combine(dir, "qa")
    Directory.CreateDirectory qa |> ignore
    let article (i: int) =
        let context = $"The lamp number {i} was lit in {1800 + i}."
        SquadArticle($"a{i}", [| SquadParagraph(context, [| SquadQuestion($"q{i}", $"When was lamp {i} lit?", [| SquadAnswer($"{1800 + i}", context.IndexOf "18") |], false);
                                                              SquadQuestion($"u{i}", $"Who lit lamp {i}?", [||], true) |]) |])
    SquadJson.Write(Path.Combine(qa, "train.json"), [ for i in 0 .. 5 -> article i ])
    SquadJson.Write(Path.Combine(qa, "val.json"), [ for i in 0 .. 1 -> article i ])
    let split f n = SplitInfo(f, n, "")
    Manifest("qa-test", "1", "test corpus", 0, "squad", ResizeArray(), readOnlyDict [ "train", split "train.json" 12L; "val", split "val.json" 4L ],
             readOnlyDict [], readOnlyDict [], ResizeArray(), "", 0.0).Write(qa)
    docs, qa

[<Tests>]
let tests =
    testSequenced <| testList "slm pretrain, finetune and eval" [
        test "pretrain, then finetune from its checkpoint, then eval writes predictions and the paper's metrics" {
            let dir = temp ()
            let docs, qa = corpora dir
            let pre = Path.Combine(dir, "pre")
            let rc, out, err = slm [ "pretrain"; "--model"; "micro-encdec"; "--tokenizer"; "bytes"; "--data"; docs; "--out"; pre; "--quiet"
                                     "--steps=6"; "--warmup_steps=2"; "--micro_batch=4"; "--global_batch=4"; "--input_length=48"; "--checkpoint_every=6" ]
            Expect.equal rc 0 $"pretrain: {err}{out}"
            let ckpt = Path.Combine(pre, "checkpoints", "step-000006")
            Expect.isTrue (File.Exists(Path.Combine(ckpt, "model.safetensors"))) "pretraining checkpoint"
            // The summary is JSON with named floats (no validation split: best loss Infinity).
            let m = Text.RegularExpressions.Regex.Match(out, "\"target_tokens\": (\\d+)")
            Expect.isTrue (m.Success && int64 m.Groups[1].Value > 0L) $"tokens counted: {out}"
            let fine = Path.Combine(dir, "fine")
            let rc, out, err = slm [ "finetune"; "--init"; ckpt; "--tokenizer"; "bytes"; "--data"; qa; "--out"; fine; "--quiet"
                                     "--steps=8"; "--warmup_steps=2"; "--micro_batch=4"; "--global_batch=4"; "--checkpoint_every=8"; "--optimizer=adam_w" ]
            Expect.equal rc 0 $"finetune: {err}{out}"
            let rc, out, err = slm [ "eval"; "--checkpoint"; Path.Combine(fine, "checkpoints", "step-000008"); "--tokenizer"; "bytes"; "--data"; qa
                                     "--out"; Path.Combine(dir, "eval"); "--max-new-tokens"; "8" ]
            Expect.equal rc 0 $"eval: {err}{out}"
            let metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "eval", "metrics.json"))).RootElement
            Expect.equal (metrics.GetProperty("examples").GetInt32()) 4 "every validation question"
            for k in [ "rouge1"; "rouge2"; "rougeL"; "rougeLsum" ] do
                let f = metrics.GetProperty("rouge").GetProperty(k).GetProperty("fmeasure").GetDouble()
                Expect.isTrue (f >= 0.0 && f <= 1.0) $"{k} in [0, 1]"
            Expect.equal (metrics.GetProperty("squad").GetProperty("total").GetDouble()) 4.0 "SQuAD total"
            let lines = File.ReadAllLines(Path.Combine(dir, "eval", "predictions.jsonl"))
            Expect.equal lines.Length 4 "one prediction a line"
        }

        test "--dry-run prints the configuration, the parameter groups, tokens per step and an estimate, and trains nothing" {
            let dir = temp ()
            let docs, _ = corpora dir
            let out' = Path.Combine(dir, "dry")
            let rc, out, err = slm [ "pretrain"; "--model"; "micro-deconly"; "--tokenizer"; "bytes"; "--data"; docs; "--out"; out'; "--dry-run"; "--input_length=48"; "--model.d_model=64" ]
            Expect.equal rc 0 err
            for fragment in [ "\"objective\": \"causal_lm\""; "\"d_model\": 64"; "Muon"; "AdamWNoDecay"; "tokens per step"; "estimate:" ] do
                Expect.stringContains out fragment fragment
            Expect.isFalse (Directory.Exists out') "nothing written"
        }

        test "an unknown key, a bad value or a wrong objective is one error line naming it" {
            let dir = temp ()
            let docs, qa = corpora dir
            let run extra = slm ([ "pretrain"; "--model"; "micro-encdec"; "--tokenizer"; "bytes"; "--data"; docs; "--out"; Path.Combine(dir, "x"); "--dry-run" ] @ extra)
            let rc, _, err = run [ "--learning_rate=1" ]
            Expect.equal rc 1 "unknown key"
            Expect.stringContains err "unknown config key 'learning_rate'" "named"
            Expect.stringContains err "warmup_steps" "valid keys listed"
            let rc, _, err = run [ "--model.layers=3" ]
            Expect.equal rc 1 "unknown model key"
            Expect.stringContains err "d_model" "model keys listed"
            let rc, _, err = run [ "--objective=causal_lm" ]
            Expect.equal rc 1 "objective"
            Expect.stringContains err "does not fit" "explained"
            let rc, _, err = slm [ "finetune"; "--model"; "micro-encdec"; "--tokenizer"; "bytes"; "--data"; qa; "--out"; Path.Combine(dir, "y"); "--objective=span_corruption" ]
            Expect.equal rc 1 "finetune objective"
            Expect.stringStarts err "error: " "one line"
        }

        test "slm distill fine-tunes a student with one of our decoder-only teachers, on its own samples, resumably" {
            let dir = temp ()
            let docs, qa = corpora dir
            let pre = Path.Combine(dir, "teacher")
            let rc, out, err = slm [ "pretrain"; "--model"; "micro-deconly"; "--tokenizer"; "bytes"; "--data"; docs; "--out"; pre; "--quiet"
                                     "--steps=4"; "--warmup_steps=2"; "--micro_batch=4"; "--global_batch=4"; "--input_length=48"; "--checkpoint_every=4" ]
            Expect.equal rc 0 $"teacher pretraining: {err}{out}"
            let teacher = Path.Combine(pre, "checkpoints", "step-000004")
            let run = Path.Combine(dir, "kd")
            let distill extra =
                slm ([ "distill"; "--model"; "micro-encdec"; "--teacher"; teacher; "--tokenizer"; "bytes"; "--data"; qa; "--out"; run; "--quiet"
                       "--steps=6"; "--warmup_steps=2"; "--micro_batch=4"; "--global_batch=4"; "--checkpoint_every=3"; "--max_target_length=16"
                       "--kd.targets=student"; "--kd.alpha=0.7"; "--kd.divergence=reverse_kl"; "--kd.tau=2" ] @ extra)
            let rc, out, err = distill []
            Expect.equal rc 0 $"distill: {err}{out}"
            Expect.stringContains out "teacher step-000004" "names its teacher"
            Expect.isTrue (File.Exists(Path.Combine(run, "checkpoints", "step-000006", "model.safetensors"))) "the student's checkpoint"
            Expect.stringContains (File.ReadAllText(Path.Combine(run, "distill.json"))) "\"divergence\": \"reverse_kl\"" "the KD configuration is kept with the run"
            let rc, out, err = distill [ "--resume" ]
            Expect.equal rc 0 $"resume: {err}{out}"
            Expect.stringContains out "\"steps\": 6" "a finished run resumes to its end"
            let rc, _, err = distill [ "--kd.alfa=0.5"; "--dry-run" ]
            Expect.equal rc 1 "unknown kd key"
            Expect.stringContains err "alpha" "lists the distillation keys"
            let rc, _, err = slm [ "distill"; "--model"; "micro-encdec"; "--tokenizer"; "bytes"; "--data"; qa; "--out"; run; "--dry-run" ]
            Expect.equal rc 1 "no teacher"
            Expect.stringContains err "--teacher" "says which option is missing"
        }
    ]
