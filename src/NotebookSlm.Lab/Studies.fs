namespace NotebookSlm.Lab

open System
open System.IO
open NotebookSlm.Reporting

/// A study whose full-profile results the README quotes: its results file, the command that
/// regenerates it, the code that produces its numbers (a change there makes the results stale)
/// and its renderer.
type Study =
    { Name: string
      Command: string
      Code: string list
      Render: ResultsDocument -> Block list }

/// Why a study's committed results cannot be quoted as they are.
type Staleness =
    | Fresh
    | Missing of string
    | Stale of string

module Studies =
    // What produces each study's numbers, as paths from the repository root. Shared by all:
    // the runtime loader and the models. Not listed: the stamp and the schema (RunInfo,
    // ResultsFile), which compute no number (a file of another schema fails to read anyway),
    // and package versions, which the stamp records: a results file made with other versions of
    // TorchSharp, libtorch, ONNX Runtime or the tokenizers is stale.
    let private common = [ "src/NotebookSlm/Runtime"; "src/NotebookSlm/Models" ]
    let private generation = [ "src/NotebookSlm/Generation"; "src/NotebookSlm/Reporting/Stats.cs" ]
    let private onnx = [ "src/NotebookSlm/Export/Onnx"; "src/NotebookSlm/Accounting"; "src/NotebookSlm/Benchmarks/MachineProbe.cs"; "src/NotebookSlm/Benchmarks/Latency.cs" ]

    /// The code a split-ratio cell runs (the `train-eval` job): it versions the cells of the
    /// sweep, and with the aggregation it versions the study's results.
    let splitRatioCells =
        [ "src/NotebookSlm/Runtime"; "src/NotebookSlm/Models"; "src/NotebookSlm/Checkpoints"; "src/NotebookSlm/Data"; "src/NotebookSlm/Tokenization"
          "src/NotebookSlm/Generation"; "src/NotebookSlm/Evaluation"; "src/NotebookSlm/Training"; "src/NotebookSlm/Sweeps"
          "src/NotebookSlm.Corpora/CorpusSplits.cs"; "src/NotebookSlm.Cli/Jobs/TrainEvalJob.cs" ]

    let all =
        [ { Name = "bench-generate"; Command = "dotnet fsi build.fsx bench"
            Code = common @ generation @ [ "src/NotebookSlm/Benchmarks/GenerationBench.cs"; "src/NotebookSlm.Cli/Commands/BenchCommands.cs" ]
            Render = Render.benchGenerate }
          { Name = "data"; Command = "dotnet fsi build.fsx data --profile full"
            Code = [ "src/NotebookSlm/Runtime"; "src/NotebookSlm/Data"; "src/NotebookSlm/Tokenization"; "src/NotebookSlm/Assets/Tokenizers"; "src/NotebookSlm.Corpora"; "experiments/data.fsx" ]
            Render = Render.Data.blocks }
          { Name = "efficiency"; Command = "dotnet fsi build.fsx efficiency --profile full"
            Code = common @ generation @ onnx @ [ "src/NotebookSlm/Benchmarks/PeakMemory.cs"; "src/NotebookSlm.Cli/Commands/BenchCommands.cs";
                                                 "src/NotebookSlm.Lab/Efficiency.fs"; "experiments/efficiency.fsx" ]
            Render = Render.Efficiency.blocks }
          { Name = "npu"; Command = "dotnet fsi build.fsx npu --profile full"
            Code = common @ generation @ onnx @ [ "src/NotebookSlm/Benchmarks/NpuReadiness.cs"; "src/NotebookSlm/Tokenization"; "src/NotebookSlm.Corpora";
                                                 "src/NotebookSlm.Lab/Npu.fs"; "experiments/npu.fsx" ]
            Render = Render.Npu.blocks }
          { Name = "peer"; Command = "dotnet fsi build.fsx peer --profile full"
            Code = common @ generation @ onnx @ [ "src/NotebookSlm/Export/Gguf"; "src/NotebookSlm/Benchmarks/PeerBench.cs"; "src/NotebookSlm/Benchmarks/LlamaCppPeer.cs";
                                                 "src/NotebookSlm/Benchmarks/llamacpp-bench.mjs"; "experiments/peer.fsx" ]
            Render = Render.Peer.blocks }
          { Name = "bench-train"; Command = "dotnet fsi build.fsx bench-train --profile full"
            Code = common @ [ "src/NotebookSlm/Training"; "src/NotebookSlm/Accounting"; "src/NotebookSlm/Data/Batching.cs"; "src/NotebookSlm/Benchmarks/TrainBench.cs"
                              "src/NotebookSlm/Distillation"; "src/NotebookSlm/Checkpoints/SafeTensors.cs"; "src/NotebookSlm/Benchmarks/MachineProbe.cs"; "src/NotebookSlm/Benchmarks/PeakMemory.cs"
                              "src/NotebookSlm.Cli/Commands/TrainBenchCommand.cs"; "src/NotebookSlm.Cli/Jobs/TrainBenchJob.cs"; "src/NotebookSlm.Lab/TrainBench.fs"; "experiments/bench-train.fsx" ]
            Render = Render.TrainBench.blocks }
          { Name = "training"; Command = "dotnet fsi build.fsx training --profile full"
            Code = common @ [ "src/NotebookSlm/Training"; "src/NotebookSlm/Data"; "src/NotebookSlm/Tokenization"; "src/NotebookSlm/Generation"
                              "src/NotebookSlm/Evaluation"; "src/NotebookSlm/Checkpoints"; "src/NotebookSlm/Sweeps"; "src/NotebookSlm.Corpora"
                              "src/NotebookSlm.Cli/Jobs/TrainEvalJob.cs"; "src/NotebookSlm.Lab/TrainingStudy.fs"; "experiments/training.fsx" ]
            Render = Render.Training.blocks }
          { Name = "split-ratio"; Command = "dotnet fsi build.fsx split-ratio --profile full"
            Code = splitRatioCells @ [ "src/NotebookSlm.Lab/SplitRatio.fs"; "experiments/split-ratio.fsx" ]
            Render = Render.SplitRatio.blocks }
          { Name = "kd-ablation"; Command = "dotnet fsi build.fsx kd-ablation --profile full"
            Code = splitRatioCells @ [ "src/NotebookSlm/Distillation"; "src/NotebookSlm.Cli/Jobs/DistillEvalJob.cs"; "src/NotebookSlm.Lab/KdAblation.fs"; "experiments/kd-ablation.fsx" ]
            Render = Render.KdAblation.blocks } ]

    let find (name: string) =
        all |> List.tryFind (fun s -> s.Name = name)
        |> Option.defaultWith (fun () -> invalidArg "name" $"""no study '{name}': expected one of {String.Join(", ", all |> List.map (fun s -> s.Name))}""")

    let private git (root: string) (args: string list) =
        let r = NotebookSlm.Runtime.ProcessRunner.Run("git", args, root)
        r.ExitCode, r.Stdout.Trim()

    /// The last commit that changed the study's code.
    let lastChange (root: string) (study: Study) =
        match git root ([ "log"; "-1"; "--format=%H"; "--" ] @ study.Code) with
        | 0, h when h <> "" -> h
        | _ -> failwith $"git log found no commit for the code of study '{study.Name}' under {root}"

    /// Fresh when the results were produced in the full profile, from a clean tree, with this
    /// build's library versions (the .NET patch release aside), at a commit that contains the
    /// last change to the study's code; stale otherwise, with the reason.
    let staleness (root: string) (study: Study) (resultsPath: string) =
        if not (File.Exists resultsPath) then Missing $"{resultsPath} does not exist: run `{study.Command}`"
        else
            match (try Choice1Of2(ResultsFile.Read resultsPath) with :? InvalidDataException as e -> Choice2Of2 e.Message) with
            | Choice2Of2 why -> Stale $"{why} (`{study.Command}` writes it anew)"
            | Choice1Of2 d ->
                let last = lastChange root study
                if d.Study <> study.Name then Stale $"{resultsPath} holds study '{d.Study}', not '{study.Name}'"
                elif d.Run.Profile <> "full" then Stale $"{resultsPath} is a {d.Run.Profile} run; the README quotes full runs: run `{study.Command}`"
                elif d.Run.Dirty then Stale $"{resultsPath} was produced from a working tree with uncommitted changes (at {d.Run.Commit[..9]}): rerun `{study.Command}` from a clean tree"
                elif not (d.Run.Libraries.SameLibrariesAs LibraryVersions.Current) then
                    Stale $"{resultsPath} was produced with {d.Run.Libraries}; this build uses {LibraryVersions.Current}: rerun `{study.Command}`"
                elif fst (git root [ "cat-file"; "-e"; d.Run.Commit + "^{commit}" ]) <> 0 then Stale $"{resultsPath} names commit {d.Run.Commit[..9]}, which this repository does not have"
                elif fst (git root [ "merge-base"; "--is-ancestor"; last; d.Run.Commit ]) <> 0 then
                    Stale $"{resultsPath} was produced at {d.Run.Commit[..9]}, before {last[..9]} changed its code: rerun `{study.Command}`"
                else Fresh

/// The README's generated sections: `<!-- name:begin -->` ... `<!-- name:end -->`, one per study
/// (and the preset table), each the study's renderer over its committed full-profile results.
module Readme =
    let private resultsPath (root: string) (name: string) = Path.Combine(root, "experiments", "results", name + ".json")

    /// (section, Markdown) for every section whose results are fresh, and one line per study
    /// whose results file is missing or stale (its section must not be rendered from it).
    let sections (root: string) =
        let outcomes =
            [ for s in Studies.all ->
                let path = resultsPath root s.Name
                match Studies.staleness root s path with
                | Fresh -> Choice1Of2(s.Name, Report.markdown (s.Render(ResultsFile.Read path)))
                | Missing why | Stale why -> Choice2Of2 $"{s.Name}: {why}" ]
        ("presets", Report.markdown (Render.presets ())) :: List.choose (function Choice1Of2 x -> Some x | _ -> None) outcomes,
        List.choose (function Choice2Of2 x -> Some x | _ -> None) outcomes

    let private replace (text: string) (name: string) (content: string) =
        let b, e = $"<!-- {name}:begin -->", $"<!-- {name}:end -->"
        let i, j = text.IndexOf b, text.IndexOf e
        if i < 0 || j < i then failwith $"README.md has no {b} ... {e} section"
        text[.. i + b.Length - 1] + "\n" + content.TrimEnd() + "\n" + text[j..]

    let private failure (problems: string list) =
        "these README sections cannot be rendered:\n  " + String.Join("\n  ", problems)

    /// Rewrites every section whose results are fresh; then fails, naming each study whose
    /// results file is missing or stale (its section keeps its old text, and the command fails).
    let write (root: string) =
        let path = Path.Combine(root, "README.md")
        let fresh, problems = sections root
        File.WriteAllText(path, fresh |> List.fold (fun text (name, content) -> replace text name content) (File.ReadAllText path))
        if not problems.IsEmpty then failwith (failure problems)
        path

    /// What `readme --check` reports: the sections whose committed text differs from what their
    /// results render to, and the studies whose results are missing or stale (both empty: up to date).
    let check (root: string) =
        let current = File.ReadAllText(Path.Combine(root, "README.md"))
        let fresh, problems = sections root
        [ for name, content in fresh do
            if not (current.Contains($"<!-- {name}:begin -->\n" + content.TrimEnd() + $"\n<!-- {name}:end -->")) then yield name ],
        problems
