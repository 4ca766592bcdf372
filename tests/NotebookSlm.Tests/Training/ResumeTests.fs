/// Exact resume: a pretraining run killed with SIGKILL at arbitrary steps and resumed gives
/// the same per-step losses, bit for bit, as a run that was never interrupted.
module NotebookSlm.Tests.Training.ResumeTests

open System
open System.IO
open System.Diagnostics
open System.Text.Json
open Expecto
open NotebookSlm.Data
open NotebookSlm.Data.Readers
open NotebookSlm.Training
open NotebookSlm.Tests.Common

let words = [| "river"; "stone"; "light"; "north"; "table"; "quiet"; "green"; "model"; "paper"; "seven"; "cloud"; "small" |]

/// Deterministic documents: 60 of 40 to 80 words.
let documents () =
    let rng = Random 11
    [ for i in 0 .. 59 -> Document($"doc{i}", String.Join(" ", Array.init (40 + rng.Next 40) (fun _ -> words[rng.Next words.Length])), nan) ]

let setup () =
    let dir = Path.Combine(Path.GetTempPath(), $"notebookslm-resume-{Guid.NewGuid():N}")
    Directory.CreateDirectory dir |> ignore
    let docs = Path.Combine(dir, "docs.jsonl")
    DocumentsJsonl.Write(docs, documents ())
    // Muon and dropout on, so that momentum buffers and libtorch's RNG must both be restored.
    let config = TrainingConfig(Optimizer = OptimizerKind.Muon, Lr = 2e-3, WarmupSteps = 4, Steps = 24, MicroBatch = 4, GlobalBatch = 8,
                                InputLength = 64, CheckpointEvery = 5, EvalEvery = 1000, Samples = 0, KeepLast = 1, Threads = 1)
    let cfg = Path.Combine(dir, "train.json")
    File.WriteAllText(cfg, config.ToJson())
    dir, docs, cfg

let args docs cfg out resume =
    [ Path.Combine(AppContext.BaseDirectory, "slm.dll"); "pretrain"; "--model"; "tiny-encdec-2_3"; "--tokenizer"; "bytes"
      "--data"; docs; "--config"; cfg; "--out"; out; "--quiet"; "--model.dropout=0.1" ] @ (if resume then [ "--resume" ] else [])

let lastStep (metrics: string) =
    if not (File.Exists metrics) then 0
    else
        try
            use s = new FileStream(metrics, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)
            use r = new StreamReader(s)
            r.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            |> Array.choose (fun l -> try Some(JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()) with _ -> None)
            |> Array.fold max 0
        with :? IOException -> 0

/// Starts the run and kills it (SIGKILL, the whole process tree) once it has logged
/// <paramref name="killAfter"/> steps; returns the step it had reached.
let runUntilKilled docs cfg out resume killAfter =
    let psi = ProcessStartInfo("dotnet", args docs cfg out resume, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repoRoot)
    use p = Process.Start psi
    p.OutputDataReceived.Add ignore
    p.ErrorDataReceived.Add ignore
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()
    let metrics = Path.Combine(out, "metrics.jsonl")
    let clock = Stopwatch.StartNew()
    while not p.HasExited && lastStep metrics < killAfter && clock.Elapsed.TotalSeconds < 300.0 do
        Threading.Thread.Sleep 2
    Expect.isFalse p.HasExited $"the run was still going at step {killAfter} (it exited with {(if p.HasExited then p.ExitCode else 0)})"
    p.Kill true
    p.WaitForExit()
    lastStep metrics

let runToEnd docs cfg out resume =
    let rc, stdout, err = runProcess "dotnet" (args docs cfg out resume) repoRoot [] 600000
    Expect.equal rc 0 $"slm pretrain: {err}{stdout}"

[<Tests>]
let tests =
    testSequenced <| testList "Exact resume" [
        test "a run killed with SIGKILL at two arbitrary steps and resumed logs the same losses, bit for bit" {
            let dir, docs, cfg = setup ()
            let straight = Path.Combine(dir, "straight")
            runToEnd docs cfg straight false
            let expected = MetricsLog.ReadLosses(Path.Combine(straight, "metrics.jsonl"))
            Expect.equal expected.Count 24 "one loss per step"

            let killed = Path.Combine(dir, "killed")
            let first = runUntilKilled docs cfg killed false 7
            let second = runUntilKilled docs cfg killed true 17
            runToEnd docs cfg killed true
            let got = MetricsLog.ReadLosses(Path.Combine(killed, "metrics.jsonl"))
            Expect.isTrue (first >= 7 && second >= 17) $"killed after steps {first} and {second}"
            Expect.equal (got |> List.ofSeq) (expected |> List.ofSeq) "identical step-by-step losses"
            let names = Directory.GetDirectories(Path.Combine(killed, "checkpoints")) |> Array.map Path.GetFileName
            Expect.isFalse (names |> Array.exists (fun n -> n.StartsWith ".tmp")) "no half-written checkpoint remains"
        }
    ]
