module NotebookSlm.Tests.Sweeps.SweepTests

open System
open System.IO
open System.Text.Json.Nodes
open System.Threading.Tasks
open Expecto
open NotebookSlm.Sweeps
open NotebookSlm.Tests.Common

let slmDll = Path.Combine(AppContext.BaseDirectory, "slm.dll")

/// A probe grid: value x seed, each cell sleeping sleepMs.
let probe (name: string) (values: int list) (sleepMs: int) (fixedExtra: (string * JsonNode) list) =
    let fixedConfig = JsonObject()
    fixedConfig["sleep_ms"] <- (JsonValue.Create sleepMs :> JsonNode)
    for k, v in fixedExtra do fixedConfig[k] <- v
    let node (v: int) = JsonValue.Create v :> JsonNode
    SweepSpec(Name = name, Job = "probe", Fixed = fixedConfig,
              Axes = [| SweepAxis("value", [| for v in values -> node v |]); SweepAxis("seed", [| node 1; node 2 |]) |],
              Resources = CellResources(1, 256, 5), Code = [||], DataVersion = "test")

let failing (n: int) = [ "fail_attempts", (JsonValue.Create n :> JsonNode) ]

let tempSweep (name: string) = Path.Combine(Path.GetTempPath(), $"notebookslm-sweep-{name}-{Guid.NewGuid():N}")

let options (attempts: int) =
    SweepRunOptions(Command = CellCommand.Slm slmDll, MaxAttempts = attempts, Parallel = 2, Poll = TimeSpan.FromMilliseconds 300.0)

let events (store: SweepStore) (id: string) (what: string) = store.Attempts id |> Seq.filter (fun e -> e.Event = what) |> Seq.length

/// Runs the grid in the background while `interfere` kills what it wants, then checks that every
/// cell has exactly one result and one "done" event, and that each interfered cell ran again.
let survivesKills (runner: ISweepRunner) (name: string) (interfere: SweepStore -> string list) =
    let store = SweepStore.Create(tempSweep name, probe name [ 1; 2 ] 6000 [], "v1")
    let run = Task.Run(fun () -> runner.Run(store, options 3))
    let killed = interfere store
    let report = run.Result
    Expect.isTrue report.Complete (SweepRunners.Summary report)
    for c in store.Cells do
        Expect.isTrue (store.IsDone c.Id) $"{c.Label}: result written"
        Expect.equal (events store c.Id "done") 1 $"{c.Label}: finished exactly once"
    for id in killed do
        Expect.isGreaterThanOrEqual (events store id "start") 2 $"{id}: ran again after it was killed"
    let doubled = [ for struct (_, r) in store.Results() -> r.Results.GetProperty("doubled").GetDouble() ] |> List.sort
    Expect.equal doubled [ 2.0; 2.0; 4.0; 4.0 ] "every result once, nothing lost"

/// Waits until some cell has started an attempt and returns (cell id, pid).
let waitForStart (store: SweepStore) (except: string list) =
    let deadline = DateTime.UtcNow.AddSeconds 120.0
    let rec loop () =
        let started =
            store.Cells |> Seq.tryPick (fun c ->
                if List.contains c.Id except then None
                else store.Attempts c.Id |> Seq.tryLast |> Option.filter (fun e -> e.Event = "start") |> Option.map (fun e -> c.Id, e.Pid))
        match started with
        | Some x -> x
        | None when DateTime.UtcNow > deadline -> failwith "no cell started in 120 s"
        | None -> Threading.Thread.Sleep 200; loop ()
    loop ()

let kill9 (pid: int) = runProcess "kill" [ "-9"; string pid ] "/" [] 10000 |> ignore

[<Tests>]
let specTests =
    testList "Sweeps: the grid as data" [
        test "cells are the product of the axes, the last varying fastest, each with its own id" {
            let cells = (probe "grid" [ 1; 2 ] 0 []).Cells "v1"
            Expect.equal cells.Count 4 "2 x 2"
            Expect.equal [ for c in cells -> c.Label ] [ "value=1 seed=1"; "value=1 seed=2"; "value=2 seed=1"; "value=2 seed=2" ] "grid order"
            Expect.equal (cells |> Seq.map (fun c -> c.Id) |> Seq.distinct |> Seq.length) 4 "distinct ids"
            Expect.equal (cells[3].Config["sleep_ms"].GetValue<int>()) 0 "the fixed configuration is in every cell"
        }

        test "an unchanged description keeps its id; a changed one, or another code version, gets a new id" {
            let ids (spec: SweepSpec) (code: string) = spec.Cells code |> Seq.map (fun c -> c.Id) |> Set.ofSeq
            let a = ids (probe "grid" [ 1; 2 ] 0 []) "v1"
            Expect.equal (ids (probe "grid" [ 1; 2 ] 0 []) "v1") a "same spec, same ids"
            let extended = ids (probe "grid" [ 1; 2; 3 ] 0 []) "v1"
            Expect.isTrue (Set.isSubset a extended) "a new axis value keeps the old cells"
            Expect.equal (Set.count (extended - a)) 2 "and adds two"
            Expect.isEmpty (Set.intersect a (ids (probe "grid" [ 1; 2 ] 5 []) "v1")) "a fixed value changes every cell"
            Expect.isEmpty (Set.intersect a (ids (probe "grid" [ 1; 2 ] 0 []) "v2")) "so does the code version"
        }

        test "a sweep file round-trips, and a bad one is an error naming the file" {
            let dir = tempSweep "file"
            Directory.CreateDirectory dir |> ignore
            let path = Path.Combine(dir, "s.json")
            File.WriteAllText(path, (probe "file" [ 1 ] 0 []).ToJson())
            Expect.equal ((SweepSpec.Load path).Cells "v").Count 2 "read back"
            File.WriteAllText(path, """{"name": "x", "job": "probe", "axes": [{"name": "a", "values": []}]}""")
            expectError<InvalidDataException> (fun () -> SweepSpec.Load path |> ignore) [ path; "axis 'a' has no values" ]
        }

        test "SLURM array task ids are read in every form squeue prints" {
            let parse s = SlurmRunner.ParseTaskIds s |> Seq.map (fun struct (j, t) -> j, List.ofSeq t) |> List.ofSeq
            Expect.equal (parse "12_3") [ "12", [ 3 ] ] "one task"
            Expect.equal (parse "12_[4-6,9%2]") [ "12", [ 4; 5; 6; 9 ] ] "a pending range with a throttle"
            Expect.equal (parse "12") [ "12", [ -1 ] ] "a job without tasks"
            Expect.isEmpty (parse "junk") "anything else"
        }
    ]

[<Tests>]
let localTests =
    testSequenced <| testList "Sweeps: the local runner" [
        test "every cell runs in its own process and writes one results file; a second run skips them all" {
            let store = SweepStore.Create(tempSweep "local", probe "local" [ 1; 2 ] 0 [], "v1")
            let report = LocalRunner().Run(store, options 3)
            Expect.isTrue report.Complete (SweepRunners.Summary report)
            let pids = [ for struct (_, r) in store.Results() -> r.Results.GetProperty("pid").GetInt32() ] |> List.distinct
            Expect.equal pids.Length 4 "four processes"
            let again = LocalRunner().Run(store, options 3)
            Expect.isTrue again.Complete "still complete"
            for c in store.Cells do Expect.equal (events store c.Id "start") 1 $"{c.Label}: not run again"
        }

        test "a changed grid reruns only its new cells and keeps the old folders as stale" {
            let dir = tempSweep "changed"
            let first = SweepStore.Create(dir, probe "changed" [ 1; 2 ] 0 [], "v1")
            LocalRunner().Run(first, options 3) |> ignore
            let second = SweepStore.Create(dir, probe "changed" [ 2; 3 ] 0 [], "v1")
            let report = LocalRunner().Run(second, options 3)
            Expect.isTrue report.Complete (SweepRunners.Summary report)
            let reran = [ for c in second.Cells do if events second c.Id "start" = 1 && c.Config["value"].GetValue<int>() = 3 then c.Id ]
            Expect.equal reran.Length 2 "the two value=3 cells ran"
            for c in second.Cells |> Seq.filter (fun c -> c.Config["value"].GetValue<int>() = 2) do
                Expect.equal (events second c.Id "start") 1 "value=2 cells were done already"
            Expect.equal (second.Stale().Count) 2 "the value=1 folders remain, listed as stale"
        }

        test "a failing cell runs again; one out of attempts is reported failed with its reason" {
            let store = SweepStore.Create(tempSweep "retry", probe "retry" [ 1 ] 0 (failing 1), "v1")
            let report = LocalRunner().Run(store, options 3)
            Expect.isTrue report.Complete "done on the second attempt"
            for c in store.Cells do Expect.equal (events store c.Id "start") 2 "two attempts"
            let hopeless = SweepStore.Create(tempSweep "hopeless", probe "hopeless" [ 1 ] 0 (failing 9), "v1")
            let r = LocalRunner().Run(hopeless, options 2)
            Expect.isFalse r.Complete "not complete"
            Expect.equal r.Failed.Count 2 "both cells failed"
            for f in r.Failed do
                Expect.equal f.Attempts 2 "after two attempts"
                Expect.stringContains f.LastFailure "fails on purpose" "the job's own message"
            Expect.stringContains (SweepRunners.Summary r) "after 2 attempt(s)" "the summary says so"
        }

        test "slm sweep run, status and results work on a sweep file, and a second run skips every cell" {
            let dir = tempSweep "cli"
            let spec = Path.Combine(repoRoot, "experiments", "sweeps", "probe.json")
            let code, out, err = slm [ "sweep"; "run"; spec; "--dir"; dir; "--quiet" ]
            Expect.equal code 0 $"run: {out} {err}"
            Expect.stringContains out "6 of 6 cells done" "summary"
            let code, status, _ = slm [ "sweep"; "status"; spec; "--dir"; dir ]
            Expect.equal code 0 "status"
            Expect.equal (status.Split('\n') |> Array.filter (fun l -> l.Contains " done ") |> Array.length) 6 $"six done rows:\n{status}"
            let code, results, _ = slm [ "sweep"; "results"; spec; "--dir"; dir ]
            Expect.equal code 0 "results"
            let array = JsonNode.Parse(results).AsArray()
            Expect.equal array.Count 6 "six results"
            Expect.equal (set [ for r in array -> (r["results"]["doubled"]).GetValue<double>() ]) (set [ 2.0; 4.0; 6.0 ]) "the probe's values, doubled"
            let code, again, _ = slm [ "sweep"; "run"; spec; "--dir"; dir ]
            Expect.equal code 0 "second run"
            Expect.stringContains again "6 of 6 cells done" "still all done"
            let store = SweepStore.Open dir
            for c in store.Cells do Expect.equal (events store c.Id "start") 1 $"{c.Label}: run once"
        }

        test "a cell killed with SIGKILL mid-run runs again: nothing lost, nothing duplicated" {
            survivesKills (LocalRunner()) "kill-local" (fun store ->
                let id, pid = waitForStart store []
                kill9 pid
                [ id ])
        }
    ]

/// The private cluster, started once for the Slurm tests.
let cluster = lazy (PrivateSlurm.start (fun l -> eprintfn "%s" l))

[<Tests>]
let slurmTests =
    let ci = Environment.GetEnvironmentVariable "CI" = "true"
    match (if ci then None else PrivateSlurm.unavailable ()) with
    | Some why -> testList "Sweeps: the Slurm runner" [ test "runs a grid as a job array on a private cluster" { skiptest why } ]
    | None ->
        testSequenced <| testList "Sweeps: the Slurm runner" [
            test "a grid runs as one job array on a private single-node cluster" {
                let _ = cluster.Value
                let store = SweepStore.Create(tempSweep "slurm", probe "slurm" [ 1; 2 ] 0 [], "v1")
                let report = SlurmRunner().Run(store, options 3)
                Expect.isTrue report.Complete (SweepRunners.Summary report)
                let submissions = File.ReadAllLines(Path.Combine(store.Dir, "slurm", "submissions.jsonl"))
                Expect.equal submissions.Length 1 "one sbatch --array"
                Expect.isNonEmpty (Directory.GetFiles(Path.Combine(store.Dir, "slurm"), "*.out")) "Slurm's output files"
            }

            test "a task cancelled with scancel and one whose process is killed are resubmitted; the sweep completes with nothing lost or duplicated" {
                let _ = cluster.Value
                survivesKills (SlurmRunner()) "kill-slurm" (fun store ->
                    let first, pid = waitForStart store []
                    kill9 pid
                    let second, _ = waitForStart store [ first ]
                    // The array task that runs the second cell: from its submission.
                    let sub = File.ReadAllLines(Path.Combine(store.Dir, "slurm", "submissions.jsonl"))[0] |> JsonNode.Parse
                    let cells = [ for c in sub["Cells"].AsArray() -> c.GetValue<string>() ]
                    let task = $"""{sub["JobId"].GetValue<string>()}_{List.findIndex ((=) second) cells}"""
                    let code, _, err = runProcess "scancel" [ task ] "/" [] 30000
                    Expect.equal code 0 $"scancel {task}: {err}"
                    [ first; second ])
            }

            test "the Slurm daemons are stopped at the end" {
                if cluster.IsValueCreated then
                    let dir = cluster.Value.Dir
                    let pids = [ for f in [ "slurmctld.pid"; "slurmd.pid" ] -> f, int (File.ReadAllText(Path.Combine(dir, f)).Trim()) ]
                    for _, pid in pids do Expect.isTrue (PrivateSlurm.alive pid) "running before"
                    (cluster.Value :> IDisposable).Dispose()
                    for f, pid in pids do Expect.isFalse (PrivateSlurm.alive pid) $"{f}: stopped"
            }
        ]
