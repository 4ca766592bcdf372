namespace NotebookSlm.Lab

open System
open System.IO
open Plotly.NET
open NotebookSlm.Reporting

/// smoke: seconds to minutes, run by tests and CI, outputs under artifacts/smoke/ (ignored).
/// full: what the README reports, outputs committed under experiments/results/ and notebooks/figures/.
type Profile =
    | Smoke
    | Full
    member p.Name = match p with Smoke -> "smoke" | Full -> "full"
    static member Parse(s: string) =
        match s.Trim().ToLowerInvariant() with
        | "smoke" -> Smoke
        | "full" -> Full
        | other -> invalidArg "profile" $"unknown profile '{other}': expected smoke or full"

module Profile =
    /// $NOTEBOOKSLM_PROFILE, smoke when unset: opening a notebook should be quick.
    let current () =
        match Environment.GetEnvironmentVariable "NOTEBOOKSLM_PROFILE" with
        | null | "" -> Smoke
        | s -> Profile.Parse s

    /// Picks the value for the current profile.
    let pick (smoke: 'T) (full: 'T) = match current () with Smoke -> smoke | Full -> full

module Stamp =
    /// "commit abc1234567, profile full, <machine>, <utc>": a run stamp in one line.
    let ofRun (r: RunInfo) =
        let commit = if r.Commit.Length > 10 then r.Commit[..9] else r.Commit
        let dirty = if r.Dirty then " (with uncommitted changes)" else ""
        $"commit {commit}{dirty}, profile {r.Profile}, {r.Machine}, {r.Utc}"

    /// The stamp of this session: shown at the top of every notebook, so that each number
    /// names the code and the machine that made it.
    let text () = ofRun (RunInfo.Capture((Profile.current ()).Name, Environment.ProcessorCount))

module Paths =
    /// The repository root: $NOTEBOOKSLM_ROOT, else the nearest folder above the current one
    /// holding NotebookSlm.sln.
    let root =
        lazy
            (match Environment.GetEnvironmentVariable "NOTEBOOKSLM_ROOT" with
             | null | "" ->
                 let rec up (d: DirectoryInfo) =
                     if isNull d then failwith $"no NotebookSlm.sln above {Environment.CurrentDirectory}; set NOTEBOOKSLM_ROOT"
                     elif File.Exists(Path.Combine(d.FullName, "NotebookSlm.sln")) then d.FullName
                     else up d.Parent
                 up (DirectoryInfo Environment.CurrentDirectory)
             | r -> Path.GetFullPath r)

    let private ensure (dir: string) = Directory.CreateDirectory dir |> ignore; dir

    /// Where results JSON files of this profile go.
    let resultsDir () =
        match Profile.current () with
        | Full -> Path.Combine(root.Value, "experiments", "results")
        | Smoke -> Path.Combine(root.Value, "artifacts", "smoke", "results")
        |> ensure

    /// Where figures of this profile go.
    let figuresDir () =
        match Profile.current () with
        | Full -> Path.Combine(root.Value, "notebooks", "figures")
        | Smoke -> Path.Combine(root.Value, "artifacts", "smoke", "figures")
        |> ensure

    /// Scratch space (checkpoints, data caches), never committed.
    let artifacts (name: string) = ensure (Path.Combine(root.Value, "artifacts", name))

    /// The Release build of the `slm` CLI, which studies start as child processes (one
    /// configuration or one sweep cell per process).
    let slm () = Path.Combine(root.Value, "src", "NotebookSlm.Cli", "bin", "Release", "net10.0", "slm.dll")

module Results =
    /// experiments/results/STUDY.json (full) or artifacts/smoke/results/STUDY.json (smoke).
    let path (study: string) = Path.Combine(Paths.resultsDir (), study + ".json")

    /// Writes this profile's results file of a study in the one schema (ResultsFile): the run
    /// stamp with the threads the study ran with, its parameters and its results; returns the path.
    let write (study: string) (threads: int) (parameters: obj) (results: obj) =
        ResultsFile.Write(path study, study, RunInfo.Capture((Profile.current ()).Name, threads), parameters, results)

    /// Reads this profile's results file of a study.
    let read (study: string) = ResultsFile.Read(path study)

    /// The results of this profile, if the study has run.
    let tryRead (study: string) = if File.Exists(path study) then Some(read study) else None

module Charts =
    let private chromiumCandidates = [ "chromium"; "chromium-browser"; "google-chrome"; "google-chrome-stable" ]

    let private findChromium () =
        let path = Environment.GetEnvironmentVariable "PATH"
        chromiumCandidates
        |> List.tryPick (fun exe ->
            path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            |> Array.map (fun d -> Path.Combine(d, exe))
            |> Array.tryFind File.Exists)
        |> Option.defaultWith (fun () ->
            failwith "PNG export needs Chromium: run `dotnet fsi build.fsx setup` (it runs apt-get install chromium)")

    /// A standalone HTML page with plotly.js inlined, so it renders without a network.
    let html (chart: GenericChart) =
        chart
        |> Chart.withDisplayOptions (DisplayOptions.init (PlotlyJSReference = PlotlyJSReference.Full))
        |> GenericChart.toEmbeddedHTML

    /// Renders the chart to PNG with headless Chromium and returns the path.
    let savePng (path: string) (width: int) (height: int) (chart: GenericChart) =
        let full = Path.GetFullPath path
        Directory.CreateDirectory(Path.GetDirectoryName full) |> ignore
        let page = Path.Combine(Path.GetTempPath(), $"notebookslm-chart-{Guid.NewGuid():N}.html")
        let profileDir = Path.Combine(Path.GetTempPath(), $"notebookslm-chromium-{Guid.NewGuid():N}")
        let sized =
            chart
            |> Chart.withSize (width, height)
            |> Chart.withConfig (Config.init (DisplayModeBar = false, StaticPlot = true))
        File.WriteAllText(page, html sized)
        let args =
            [ "--headless"; "--no-sandbox"; "--disable-gpu"; "--disable-quic"; "--no-first-run"
              "--disable-background-networking"; "--disable-component-update"; "--disable-sync"; "--hide-scrollbars"
              $"--user-data-dir={profileDir}"; $"--window-size={width + 20},{height + 20}"
              "--virtual-time-budget=10000"; $"--screenshot={full}"; $"file://{page}" ]
        let r =
            try NotebookSlm.Runtime.ProcessRunner.Run(findChromium (), args, timeout = TimeSpan.FromSeconds 120.0)
            finally
                File.Delete page
                try Directory.Delete(profileDir, true) with _ -> ()
        if r.ExitCode <> 0 || not (File.Exists full) then
            failwith $"Chromium failed to write {full} (exit {r.ExitCode}): {NotebookSlm.Runtime.ProcessRunner.Tail r.Stderr}"
        full

    /// Saves NAME.png under this profile's figures folder and returns its path.
    let save (name: string) (chart: GenericChart) = savePng (Path.Combine(Paths.figuresDir (), name + ".png")) 900 520 chart

    /// An <img> tag with the PNG inlined: notebooks display it so that their committed
    /// output shows on a code host, which runs no JavaScript.
    let imgTag (pngPath: string) =
        let b64 = Convert.ToBase64String(File.ReadAllBytes pngPath)
        $"<img src=\"data:image/png;base64,{b64}\" alt=\"{Path.GetFileName pngPath}\" />"

module Tables =
    /// An HTML table for notebook output.
    let html (t: Table) =
        let esc (s: string) = Net.WebUtility.HtmlEncode s
        let head = t.Headers |> Seq.map (fun h -> $"<th>{esc h}</th>") |> String.concat ""
        let rows =
            t.Rows
            |> Seq.map (fun r -> "<tr>" + (r |> Seq.map (fun c -> $"<td>{esc c}</td>") |> String.concat "") + "</tr>")
            |> String.concat "\n"
        $"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>"

/// The studies' grids go through the project's sweep runner (local processes, or a Slurm job
/// array): each cell its own process and results file, so that a study stopped halfway resumes
/// where it stopped.
module Sweeping =
    open NotebookSlm.Sweeps

    let node<'T> (v: 'T) : Text.Json.Nodes.JsonNode = Text.Json.JsonSerializer.SerializeToNode<'T>(v, (null: Text.Json.JsonSerializerOptions))

    /// A study's sweep folder. In the full profile it lives under experiments/results/sweeps/ and
    /// its finished cells (cell.json and result.json; scratch, logs and attempt records are
    /// ignored by git) are committed as they finish: a study of several hours then resumes in a
    /// later session, on a fresh clone, at the first cell not yet done, since a cell's id hashes
    /// its description, whose code version is the last commit of the study's code, not HEAD.
    /// Smoke sweeps stay in artifacts/.
    let dirNamed (name: string) =
        match Profile.current () with
        | Full -> Path.Combine(Paths.resultsDir (), "sweeps", name)
        | Smoke -> Path.Combine(Paths.artifacts "sweeps", name)

    let dir (spec: SweepSpec) = dirNamed spec.Name

    /// Runs a grid to the end through the named runner (local or slurm); returns its store.
    let run (runner: string) (spec: SweepSpec) =
        let store = SweepStore.Create(dir spec, spec, SweepRunners.CodeVersion(Paths.root.Value, spec.Code))
        let options =
            SweepRunOptions(Command = CellCommand.Slm(Paths.slm ()), MaxAttempts = 2,
                            Environment = readOnlyDict [ "NOTEBOOKSLM_ROOT", Paths.root.Value; "NOTEBOOKSLM_PROFILE", (Profile.current ()).Name ])
        let progress =
            { new IProgress<SweepProgress> with
                member _.Report p =
                    let why = if isNull p.Message then String.Empty else " - " + p.Message
                    eprintfn "[%d/%d] %s: %O%s" p.Done p.Total p.Label p.State why }
        let report = (SweepRunners.Runner runner).Run(store, options, progress)
        eprintfn "%s" (SweepRunners.Summary report)
        if not report.Complete then failwith (SweepRunners.Summary report)
        store

    /// Each done cell's results and the parameters it recorded, in the grid's order.
    let results (store: SweepStore) =
        [ for struct (cell, result) in store.Results() ->
            cell, Text.Json.Nodes.JsonNode.Parse(result.Results.GetRawText()), Text.Json.Nodes.JsonNode.Parse(result.Parameters.GetRawText()) ]

    /// Mean and sample standard deviation over seeds (non-finite values left out), with the count.
    let meanStd (xs: float list) =
        let xs = xs |> List.filter Double.IsFinite
        match xs with
        | [] -> {| mean = nan; std = nan; n = 0 |}
        | [ x ] -> {| mean = x; std = 0.0; n = 1 |}
        | _ ->
            let m = List.average xs
            {| mean = m; std = sqrt ((xs |> List.sumBy (fun x -> (x - m) ** 2.0)) / float (xs.Length - 1)); n = xs.Length |}
