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

/// Runs the notebook and checks that no cell failed and that it wrote each of its figures
/// (smoke figures go to artifacts/smoke/figures; stale copies are removed first).
let drawsFigures (notebook: string) (figures: string list) =
    let pngs = [ for f in figures -> Path.Combine(repoRoot, "artifacts", "smoke", "figures", f + ".png") ]
    for png in pngs do if File.Exists png then File.Delete png
    let nb = runNotebook notebook
    Expect.isEmpty (errors nb) "no cell failed"
    for png in pngs do
        Expect.isTrue (File.Exists png) $"{png} written"
        Expect.isGreaterThan (FileInfo(png).Length) 10000L $"{png} is a real picture, not an empty page"

[<Tests>]
let tests =
    testList "Notebooks" [
        test "00-architecture runs headless and writes its decode-cost figure" {
            drawsFigures "00-architecture.ipynb" [ "00-architecture-decode-cost" ]
        }
        test "01-data builds the smoke corpora, shows their cards and writes the length figure" {
            drawsFigures "01-data.ipynb" [ "01-data-lengths" ]
        }
        test "02-training runs the smoke training study and draws its loss curves" {
            drawsFigures "02-training.ipynb" [ for n in [ "pretraining"; "muon-adamw"; "bf16" ] -> $"02-training-{n}" ]
        }
        test "03-split-ratio runs the smoke sweep and draws Figure 2" {
            drawsFigures "03-split-ratio.ipynb" [ "03-split-ratio-figure2" ]
        }
        test "04-efficiency runs the smoke study and draws Figure 1" {
            drawsFigures "04-efficiency.ipynb" [ "04-efficiency-figure1" ]
        }
        test "05-distillation runs the smoke KD ablation and draws Figure 5" {
            drawsFigures "05-distillation.ipynb" [ "05-distillation-figure5" ]
        }
    ]
