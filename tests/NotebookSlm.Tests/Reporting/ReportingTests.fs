module NotebookSlm.Tests.Reporting.ReportingTests

open System
open System.IO
open System.Text.Json
open Expecto
open NotebookSlm.Reporting
open NotebookSlm.Tests.Common

let tempFile (name: string) =
    let dir = Path.Combine(Path.GetTempPath(), $"notebookslm-results-{Guid.NewGuid():N}")
    Directory.CreateDirectory dir |> ignore
    Path.Combine(dir, name)

[<Tests>]
let tests =
    testList "Results and statistics" [
        test "statistics: mean, median and p90 interpolate between ranks" {
            let s = Stats.Of([| 1.0; 2.0; 3.0; 4.0; 10.0 |])
            Expect.equal s.Mean 4.0 "mean"
            Expect.equal s.Median 3.0 "median"
            Expect.floatClose Accuracy.high s.P90 7.6 "p90 = 4 + 0.6 * (10 - 4)"
            Expect.equal (s.Min, s.Max) (1.0, 10.0) "range"
            Expect.equal (Stats.Of([| 1; 2; 3; 4 |]).Median) 2.5 "an even count interpolates (no upper median)"
            Expect.isTrue (Double.IsNaN (Stats.Of(Array.empty<float>)).Mean) "an empty sample is NaN, not an exception"
        }

        testProperty "statistics lie between the sample's bounds and in order" <| fun (xs: int list) ->
            xs.IsEmpty || (
                let s = Stats.Of(xs: int seq)
                s.Min = float (List.min xs) && s.Max = float (List.max xs)
                && s.Min <= s.Median && s.Median <= s.P90 && s.P90 <= s.Max && s.Min <= s.Mean && s.Mean <= s.Max)

        test "a results file holds schema, study, run stamp, parameters and results, and reads back" {
            let path = tempFile "bench.json"
            let run = RunInfo.Capture("smoke", 3)
            ResultsFile.Write(path, "bench", run, {| input = 16 |}, {| rows = [ {| tok_per_s = 1.5 |} ]; empty = Stats.Of(Array.empty<float>) |}) |> ignore
            let raw = JsonDocument.Parse(File.ReadAllText path).RootElement
            Expect.sequenceEqual [ for p in raw.EnumerateObject() -> p.Name ] [ "schema"; "study"; "run"; "parameters"; "results" ] "top-level fields, in order"
            let d = ResultsFile.Read path
            Expect.equal d.Study "bench" "study"
            Expect.equal d.Run.Threads 3 "the threads the study says it used, not a global read later"
            Expect.equal d.Run.Profile "smoke" "profile"
            Expect.equal d.Run.Libraries.TorchSharp "0.107.0" "TorchSharp version"
            Expect.equal d.Run.Libraries.LibTorch "2.10.0" "libtorch version"
            Expect.equal d.Run.Libraries.OnnxRuntime "1.31.1" "ONNX Runtime version"
            Expect.isNonEmpty d.Run.Libraries.DotNet ".NET version"
            Expect.equal (d.Parameters.GetProperty("input").GetInt32()) 16 "parameters"
            Expect.equal (d.Results.GetProperty("rows").[0].GetProperty("tok_per_s").GetDouble()) 1.5 "results"
            Expect.equal (d.Results.GetProperty("empty").GetProperty("mean").GetString()) "NaN" "NaN written as a named literal"
        }

        test "unreadable results files are one error naming the file and the field" {
            let write (text: string) = let p = tempFile "r.json" in File.WriteAllText(p, text); p
            let missing = tempFile "none.json"
            expectError<FileNotFoundException> (fun () -> ResultsFile.Read missing |> ignore) [ missing; "no results file" ]
            let notJson = write "{ nope"
            expectError<InvalidDataException> (fun () -> ResultsFile.Read notJson |> ignore) [ notJson; "not JSON" ]
            let old = write """{ "run": { "commit": "abc" }, "results": {}, "markdown": "| a |" }"""
            expectError<InvalidDataException> (fun () -> ResultsFile.Read old |> ignore) [ old; "no field 'schema'" ]
            let future = write """{ "schema": 99, "study": "x", "run": {}, "parameters": {}, "results": {} }"""
            expectError<InvalidDataException> (fun () -> ResultsFile.Read future |> ignore) [ future; "schema 99"; "rerun" ]
            let listResults = write """{ "schema": 1, "study": "x", "run": {}, "parameters": {}, "results": [] }"""
            expectError<InvalidDataException> (fun () -> ResultsFile.Read listResults |> ignore) [ "field 'results' is Array" ]
            expectError<ArgumentException> (fun () -> RunInfo.Capture("fast", 1) |> ignore) [ "unknown profile 'fast'" ]
        }

        test "the paper's numbers carry their sources, and the ratios its prose states follow from Table 2" {
            let t = Paper.Table2
            Expect.equal (t.InputTokens, t.OutputTokens, t.Examples) (512, 128, 100) "Table 2 protocol"
            // Section 3.4: "42% reduction on GPU, 29% on CPU, 47% on NPU" and "3.9x on GPU, 3.8x on CPU, 4.7x on NPU".
            for platform, reduction, speedup in [ "GPU", 42.0, 3.9; "CPU", 29.0, 3.8; "NPU", 47.0, 4.7 ] do
                Expect.equal (Math.Round(100.0 * t.FirstTokenReduction platform)) reduction $"{platform} first-token reduction"
                Expect.equal (Math.Round(t.ThroughputRatio platform, 1)) speedup $"{platform} throughput ratio"
            Expect.equal (Math.Round(100.0 * Paper.PretrainingHours.Share)) 71.0 "250 h against 350 h is the 71% of section 3.3"
            for source in [ t.Source; Paper.MemorySaving.Source; Paper.GenerationFlopsShare.Source; Paper.TrainingFlopsShare.Source
                            Paper.TrainingFlopsGap.Source; Paper.PretrainingHours.Source ] do
                Expect.stringContains source "section 3." "every claim names its section"
            expectError<ArgumentException> (fun () -> t.Row("TPU", "DecoderOnly") |> ignore) [ "TPU" ]
        }
    ]
