module NotebookSlm.Tests.Lab.KdAblationTests

open Expecto
open NotebookSlm.Lab
open NotebookSlm.Sweeps

[<Tests>]
let tests =
    testSequenced <| testList "KD ablation study" [
        test "the smoke study distils through the sweep runner and writes the teacher, Figure 5's points and Table 1's KD rows" {
            let path = KdAblation.run "local"
            let d = Results.read "kd-ablation"
            Expect.equal d.Run.Profile "smoke" "smoke profile"
            Expect.isGreaterThanOrEqual (Json.num d.Parameters [ "teacher_to_student_parameters" ]) 4.0 "a teacher of at least 4x the students"
            let f5 = Json.items d.Results [ "figure5" ]
            Expect.equal f5.Length 3 "alpha 0 (plain fine-tuning), and alpha 0.5 on the teacher's and on the student's targets"
            for p in f5 do Expect.isTrue (System.Double.IsFinite(Json.num p [ "rouge_l"; "mean" ])) "scored"
            Expect.equal (Json.items d.Results [ "table1" ]).Length 2 "two presets on one task"
            Expect.equal (Json.items d.Results [ "teachers" ]).Length 1 "one teacher per task, shared by every cell"
            // Resuming a finished study reruns nothing.
            let store = SweepStore.Open(Sweeping.dir (KdAblation.figure5Spec ()))
            Expect.isTrue (store.Cells |> Seq.forall (fun c -> store.IsDone c.Id)) "every cell done"
            // The shared models were built by a grid of their own before the cells that read them:
            // the teacher's pretraining once, each (student, seed) once, the teacher once per task.
            let shared = SweepStore.Open(Sweeping.dir (KdAblation.sharedSpec ()))
            let builds = [ for c in shared.Cells -> c.Config["build"].GetValue<string>() ]
            Expect.equal builds [ "teacher-pretrain"; "student"; "student"; "teacher" ] "teacher pretraining first, the two students, the teacher on qa-local"
            Expect.isTrue (shared.Cells |> Seq.forall (fun c -> shared.IsDone c.Id)) "every shared model built"
            let teacherRow = Json.items d.Results [ "teachers" ] |> List.head
            Expect.isTrue (System.Double.IsFinite(Json.num teacherRow [ "rouge_l" ])) "the teacher is scored on its task"
            // The ratio checked before any cell runs is the one the cells record.
            let recorded =
                [ for _, _, p in Sweeping.results store @ Sweeping.results (SweepStore.Open(Sweeping.dir (KdAblation.table1Spec ()))) ->
                    float ((p["job"]["teacher_parameters"]).GetValue<int64>()) / float ((p["job"]["student_parameters"]).GetValue<int64>()) ]
            Expect.floatClose Accuracy.high (KdAblation.teacherRatio ()) (List.min recorded) "the pre-run ratio is the cells' smallest"
            Expect.floatClose Accuracy.high (Json.num d.Parameters [ "teacher_to_student_parameters" ]) (List.min recorded) "and the one the results state"
            Expect.stringContains path "kd-ablation" "the results file"
            // The findings: alpha 0 against the KD points, and student against teacher targets
            // (smoke has no reverse KL and no second size, so no (2) and no (4)).
            let findings = Render.KdAblation.findings d
            Expect.stringContains findings "(1) On SQuAD" "alpha 0 against KD"
            Expect.stringContains findings "over 1 matched (alpha, divergence) pairs" "the one student/teacher pair of the smoke grid"
            Expect.isFalse (findings.Contains "(2)") "no reverse KL in smoke"
            // Table 1: KD against the Seq2Seq rows, from a split-ratio results file.
            let seq2seq = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kd-split-ratio-{System.Guid.NewGuid():N}.json")
            NotebookSlm.Reporting.ResultsFile.Write(seq2seq, "split-ratio", NotebookSlm.Reporting.RunInfo.Capture("smoke", 1), {| runner = "local" |},
                {| table1 = [ {| preset = "tiny-deconly"; tasks = [ {| task = "qa-local"; rouge_l = {| mean = 10.0; std = 1.0; n = 3 |} |} ] |} ] |}) |> ignore
            let kdDeconly = Json.items d.Results [ "table1" ] |> List.find (fun r -> Json.text r [ "preset" ] = "tiny-deconly")
            let line = Render.KdAblation.againstSeq2Seq d (Some(NotebookSlm.Reporting.ResultsFile.Read seq2seq))
            System.IO.File.Delete seq2seq
            Expect.stringContains line (sprintf "tiny-deconly %+.1f (paper +2)" (Json.num kdDeconly [ "rouge_l" ] - 10.0)) "KD minus the Seq2Seq mean, and the paper's gain (51 - 49)"
        }
    ]
