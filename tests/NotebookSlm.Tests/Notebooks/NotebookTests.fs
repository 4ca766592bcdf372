module NotebookSlm.Tests.Notebooks.NotebookTests

open System.IO
open System.Text.Json
open Expecto
open NotebookSlm.Tests.Common

/// Runs a notebook headless in the smoke profile through build.fsx (the one place that
/// knows how) and returns its executed copy.
let runNotebook (name: string) =
    let rc, out, err =
        runProcess "dotnet" [ "fsi"; Path.Combine(repoRoot, "build.fsx"); "notebooks"; "--no-build"; "--profile"; "smoke"
                              Path.Combine(repoRoot, "notebooks", name) ] repoRoot [] 900000
    Expect.equal rc 0 $"notebook {name} failed:\n{out}\n{err}"
    let executed = Path.Combine(repoRoot, "artifacts", "smoke", "notebooks", name)
    JsonDocument.Parse(File.ReadAllText executed).RootElement

let errors (nb: JsonElement) =
    [ for cell in nb.GetProperty("cells").EnumerateArray() do
        if cell.GetProperty("cell_type").GetString() = "code" then
            for o in cell.GetProperty("outputs").EnumerateArray() do
                if o.GetProperty("output_type").GetString() = "error" then yield o.GetProperty("evalue").GetString() ]

[<Tests>]
let tests =
    testList "Notebooks" [
        test "00-architecture runs headless and writes its decode-cost figure" {
            let png = Path.Combine(repoRoot, "artifacts", "smoke", "figures", "00-architecture-decode-cost.png")
            if File.Exists png then File.Delete png
            let nb = runNotebook "00-architecture.ipynb"
            Expect.isEmpty (errors nb) "no cell failed"
            Expect.isTrue (File.Exists png) "PNG written"
            Expect.isGreaterThan (FileInfo(png).Length) 10000L "a real picture, not an empty page"
        }
    
        test "01-data builds the smoke corpora, shows their cards and writes the length figure" {
            let png = Path.Combine(repoRoot, "artifacts", "smoke", "figures", "01-data-lengths.png")
            if File.Exists png then File.Delete png
            let nb = runNotebook "01-data.ipynb"
            Expect.isEmpty (errors nb) "no cell failed"
            Expect.isTrue (File.Exists png) "PNG written"
        }
    
        test "02-training runs the smoke training study and draws its loss curves" {
            let pngs = [ for n in [ "pretraining"; "muon-adamw"; "bf16" ] -> Path.Combine(repoRoot, "artifacts", "smoke", "figures", $"02-training-{n}.png") ]
            for png in pngs do if File.Exists png then File.Delete png
            let nb = runNotebook "02-training.ipynb"
            Expect.isEmpty (errors nb) "no cell failed"
            for png in pngs do Expect.isTrue (File.Exists png) $"{png} written"
        }

        test "03-split-ratio runs the smoke sweep and draws Figure 2" {
            let png = Path.Combine(repoRoot, "artifacts", "smoke", "figures", "03-split-ratio-figure2.png")
            if File.Exists png then File.Delete png
            let nb = runNotebook "03-split-ratio.ipynb"
            Expect.isEmpty (errors nb) "no cell failed"
            Expect.isTrue (File.Exists png) "PNG written"
        }

        test "05-distillation runs the smoke KD ablation and draws Figure 5" {
            let png = Path.Combine(repoRoot, "artifacts", "smoke", "figures", "05-distillation-figure5.png")
            if File.Exists png then File.Delete png
            let nb = runNotebook "05-distillation.ipynb"
            Expect.isEmpty (errors nb) "no cell failed"
            Expect.isTrue (File.Exists png) "PNG written"
        }

        test "04-efficiency runs the smoke study and draws Figure 1" {
            let png = Path.Combine(repoRoot, "artifacts", "smoke", "figures", "04-efficiency-figure1.png")
            if File.Exists png then File.Delete png
            let nb = runNotebook "04-efficiency.ipynb"
            Expect.isEmpty (errors nb) "no cell failed"
            Expect.isTrue (File.Exists png) "PNG written"
        }
    ]
