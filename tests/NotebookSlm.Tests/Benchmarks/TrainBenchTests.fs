module NotebookSlm.Tests.Benchmarks.TrainBenchTests

open System.Text.Json
open Expecto
open NotebookSlm.Benchmarks
open NotebookSlm.Reporting
open NotebookSlm.Tests.Common

[<Tests>]
let tests =
    testList "Training benchmark" [
        test "random pairs have the lengths asked for, ids past the special ones and EOS last" {
            let pairs = TrainBench.RandomPairs(300, 2, 5, 16, 4, 3)
            Expect.equal pairs.Count 5 "five pairs"
            for p in pairs do
                Expect.equal p.Source.Length 16 "source length"
                Expect.equal p.Target.Length 4 "target length"
                Expect.equal p.Target[3] 2 "EOS last"
                Expect.all (Array.append p.Source p.Target[..2]) (fun t -> t >= 4 && t < 300) "ids in [4, vocab)"
            Expect.equal (TrainBench.RandomPairs(300, 2, 5, 16, 4, 3)).[4].Source pairs.[4].Source "seeded"
        }

        test "slm bench train times real steps in both precisions and reports MFU, memory and every step's loss" {
            for precision in [ "fp32"; "bf16" ] do
                let code, out, err =
                    slm [ "bench"; "train"; "--preset"; "micro-encdec"; "--precision"; precision; "--steps"; "12"; "--warmup"; "2"; "--memory-step"; "5"
                          "--input"; "16"; "--target"; "4"; "--micro-batch"; "2"; "--threads"; "1" ]
                Expect.equal code 0 $"{precision}: {err}"
                let row = JsonSerializer.Deserialize<TrainBenchRow>(out.Trim().Split('\n') |> Array.last, ResultsFile.Json)
                Expect.equal row.Precision precision "precision"
                Expect.equal row.Losses.Count 12 "a loss per step"
                Expect.all row.Losses (fun l -> System.Double.IsFinite l && l > 0.0) "finite losses"
                Expect.equal row.TimedSteps 10 "warm-up left out"
                Expect.isGreaterThan row.PeakGflops 0.0 "a measured peak"
                Expect.floatClose Accuracy.medium row.AchievedGflops (row.ModelGflopPerStep / (row.StepMsMedian / 1000.0)) "achieved = model FLOPs / step time"
                Expect.floatClose Accuracy.medium row.Mfu (row.AchievedGflops / row.PeakGflops) "MFU = achieved / peak"
                Expect.floatClose Accuracy.medium row.TokensPerSecond (2.0 * 20.0 / (row.StepMsMedian / 1000.0)) "tokens/s of the median step"
                Expect.isGreaterThan row.RssMiBAtMemoryStep 50.0 "resident memory read at step 5"
                Expect.equal row.RssMiB.Count 12 "resident memory after every step"
                Expect.equal row.RssMiB.[4] row.RssMiBAtMemoryStep "the memory step's reading is step 5's"
                Expect.equal row.RssMiB.[11] row.RssMiBAtLastStep "the last step's reading, before the closing evaluation and checkpoint"
                Expect.isGreaterThanOrEqual row.HighWaterMiB row.RssMiBAtEnd "the high-water mark is at least the last reading"
                Expect.equal row.Threads 1 "threads as asked"
        }

        test "slm bench train times the distillation step with the teacher run every step and with its logits cached, and counts the teacher's FLOPs only when it runs" {
            let run (extra: string list) =
                let code, out, err =
                    slm ([ "bench"; "train"; "--preset"; "micro-encdec"; "--steps"; "8"; "--warmup"; "2"; "--memory-step"; "4"
                           "--input"; "16"; "--target"; "4"; "--micro-batch"; "2"; "--threads"; "1" ] @ extra)
                Expect.equal code 0 err
                JsonSerializer.Deserialize<TrainBenchRow>(out.Trim().Split('\n') |> Array.last, ResultsFile.Json)
            let plain = run []
            let teacher = [ "--teacher"; "micro-deconly"; "--teacher-override"; "d_model=64,heads=8,kv_heads=4,mlp_hidden=128" ]
            let live = run teacher
            let cached = run (teacher @ [ "--cache-teacher" ])
            Expect.equal plain.Distill "none" "a plain step"
            Expect.equal live.Distill "teacher" "the teacher every step"
            Expect.equal cached.Distill "cached" "cached logits"
            Expect.isGreaterThan live.TeacherParameters plain.Parameters "the widened teacher is larger than the student"
            Expect.equal cached.TeacherParameters live.TeacherParameters "the same teacher"
            Expect.isGreaterThan live.TeacherGflopPerStep 0.0 "a live teacher's forward is counted"
            Expect.floatClose Accuracy.medium live.ModelGflopPerStep (plain.ModelGflopPerStep + live.TeacherGflopPerStep) "student step + teacher forward"
            Expect.equal cached.TeacherGflopPerStep 0.0 "a cached teacher does no work in the step"
            Expect.floatClose Accuracy.medium cached.ModelGflopPerStep plain.ModelGflopPerStep "the cached step's FLOPs are the student's"
            Expect.isGreaterThan cached.TeacherCacheSeconds 0.0 "the cache was filled before the steps"
            Expect.sequenceEqual cached.Losses live.Losses "cached logits give the live teacher's losses"
            Expect.notEqual live.Losses plain.Losses "the KD term changes the loss"
        }

        test "a cached teacher without a teacher is one clear error" {
            let code, _, err = slm [ "bench"; "train"; "--preset"; "micro-encdec"; "--steps"; "12"; "--cache-teacher" ]
            Expect.equal code 1 "exit 1"
            Expect.stringContains err "a cached teacher needs a teacher" "says what is missing"
        }

        test "a precision the trainer does not have is one clear error" {
            let code, _, err = slm [ "bench"; "train"; "--preset"; "micro-encdec"; "--precision"; "fp8"; "--steps"; "12" ]
            Expect.equal code 1 "exit 1"
            Expect.stringContains err "--precision is 'fp8'; expected fp32 or bf16" "names the option and the choices"
        }
    ]
