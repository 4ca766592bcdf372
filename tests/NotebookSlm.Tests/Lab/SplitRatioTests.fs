module NotebookSlm.Tests.Lab.SplitRatioTests

open System.Diagnostics
open Expecto
open NotebookSlm.Lab
open NotebookSlm.Sweeps

[<Tests>]
let tests =
    testSequenced <| testList "Split-ratio study" [
        test "the smoke study runs both grids through the local sweep runner in under 3 minutes and writes Table 1's rows and Figure 2's points" {
            let clock = Stopwatch.StartNew()
            let path = SplitRatio.run "local"
            let seconds = clock.Elapsed.TotalSeconds
            let d = Results.read "split-ratio"
            Expect.equal d.Study "split-ratio" "study"
            let rows = Json.items d.Results [ "table1" ]
            Expect.equal [ for r in rows -> Json.text r [ "preset" ] ] SplitRatio.presets "one row per architecture"
            for r in rows do
                Expect.equal (Json.num r [ "seeds" ]) 1.0 "smoke: one seed"
                let rouge = Json.num r [ "average"; "mean" ]
                Expect.isTrue (rouge >= 0.0 && rouge <= 100.0) $"ROUGE-L in [0, 100]: {rouge}"
                Expect.isGreaterThan (Json.num r [ "training_tokens"; "mean" ]) 0.0 "tokens counted"
            // Equal training tokens across architectures: the same raw chunks.
            let tokens = [ for r in rows -> Json.num r [ "training_tokens"; "mean" ] ]
            Expect.isLessThan ((List.max tokens - List.min tokens) / List.max tokens) 0.35 $"comparable training tokens: {tokens}"
            Expect.equal (Json.items d.Results [ "figure2" ]).Length 4 "two rungs x two shapes"
            Expect.isLessThan seconds 180.0 $"under 3 minutes ({seconds:F0} s)"
            // A second run finds every cell done.
            let store = SweepStore.Open(Sweeping.dir (SplitRatio.table1Spec ()))
            let starts = [ for c in store.Cells -> store.Attempts c.Id |> Seq.filter (fun e -> e.Event = "start") |> Seq.length ]
            SplitRatio.run "local" |> ignore
            let again = [ for c in store.Cells -> store.Attempts c.Id |> Seq.filter (fun e -> e.Event = "start") |> Seq.length ]
            Expect.equal again starts $"no cell ran twice ({path})"
            // The rendering names the models whose sampled answers on a task are all one text.
            let constant =
                [ for _, r, _ in Sweeping.results store do
                    for t in r["tasks"].AsArray() do
                        let outs = [ for x in t["samples"].AsArray() -> x["output"].GetValue<string>() ] |> List.distinct
                        if t["task"].GetValue<string>() = "qa-local" && outs.Length = 1 then yield outs.Head ]
            let prose = Render.SplitRatio.collapsed d
            if constant.IsEmpty then Expect.equal prose "" "no collapse, nothing said"
            else Expect.stringContains prose $"on qa-local, {constant.Length} of 4 fine-tuned models give one answer" "the collapsed models counted"
        }
    ]
