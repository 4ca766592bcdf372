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
            Expect.stringContains path "kd-ablation" "the results file"
        }
    ]
