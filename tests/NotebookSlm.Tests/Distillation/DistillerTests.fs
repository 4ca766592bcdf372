module NotebookSlm.Tests.Distillation.DistillerTests

open System
open System.IO
open Expecto
open TorchSharp
open NotebookSlm.Models
open NotebookSlm.Training
open NotebookSlm.Distillation
open NotebookSlm.Tests.Training.TrainingTests

let private value (x: torch.Tensor) = x.``to``(torch.ScalarType.Float64).item<float>()

/// A decoder-only teacher with the student's tokenizer (bytes) and no dropout.
let private teacherModel seed = LanguageModel.Create((micro Architecture.DecoderOnly).With(dropout = 0.0), seed)

let private batchOf (n: int) = Seq2SeqBatch.From(eight |> Seq.truncate n |> List.ofSeq, 0)

/// A teacher that counts what it is asked to generate.
type private Counting(inner: ITeacher) =
    member val Generated = 0 with get, set
    interface ITeacher with
        member _.Name = inner.Name
        member _.VocabSize = inner.VocabSize
        member _.TargetLogits b = inner.TargetLogits b
        member this.Generate(sources, n, eos) =
            this.Generated <- this.Generated + sources.Count
            inner.Generate(sources, n, eos)

[<Tests>]
let tests =
    testSequenced <| testList "Distiller" [
        test "alpha = 0 gives the trainer's own cross-entropy" {
            let student = LanguageModel.Create(micro Architecture.EncoderDecoder, 1L)
            student.Module.eval()
            let d = Distiller(student, ModelTeacher(teacherModel 2L), DistillConfig(Alpha = 0.0), 16)
            use b = batchOf 4
            let expected = LanguageModel.TokenCrossEntropy(student.TargetLogits b, b.Target, b.TargetMask, torch.nn.Reduction.Sum)
            Expect.isTrue (Double.IsNaN d.LastCe) "no CE term before the first batch"
            Expect.floatClose Accuracy.high (value (d.SummedLoss b)) (value expected) "summed CE"
            Expect.floatClose Accuracy.high d.LastCe (value expected / value (b.TargetMask.sum())) "the logged CE is the mean over real target tokens"
            Expect.equal d.LastKd 0.0 "no KD term at alpha 0"
        }

        test "a student that is its teacher has no KD loss, for every divergence and target source" {
            let student = teacherModel 3L
            student.Module.eval()
            let teacher = ModelTeacher(teacherModel 3L)
            use b = batchOf 4
            for c in [ DistillConfig(Alpha = 1.0); DistillConfig(Alpha = 1.0, Divergence = Divergence.ReverseKl, Tau = 2.0)
                       DistillConfig(Alpha = 1.0, Divergence = Divergence.Jsd, Beta = 0.4, Targets = TargetSource.Student) ] do
                let d = Distiller(student, teacher, c, 8)
                Expect.isLessThan (abs (value (d.SummedLoss b))) 1e-6 $"{c.Divergence} on {c.Targets}"
                Expect.isLessThan (abs d.LastKd) 1e-6 $"the logged KD term of {c.Divergence}"
        }

        test "on-policy targets come from the global generator: the same seed draws the same loss, another seed another" {
            let student = LanguageModel.Create(micro Architecture.EncoderDecoder, 4L)
            let d = Distiller(student, ModelTeacher(teacherModel 5L), DistillConfig(Targets = TargetSource.Student, SampleTopK = 0, SampleTemperature = 1.5), 8)
            use b = batchOf 4
            let at (seed: int64) = torch.manual_seed seed |> ignore; value (d.SummedLoss b)
            let a1, a2, other = at 11L, at 11L, at 12L
            Expect.equal a1 a2 "reproducible"
            Expect.notEqual a1 other "a new draw"
            Expect.equal d.OnPolicyBatches 3 "every batch on-policy"
        }

        test "distillation trains through the Trainer: the loss falls, and a rerun repeats it exactly" {
            let run () =
                let student = LanguageModel.Create(micro Architecture.EncoderDecoder, 6L)
                let d = Distiller(student, ModelTeacher(teacherModel 7L), DistillConfig(Alpha = 0.5, Tau = 2.0, Targets = TargetSource.Mix, OnPolicyFraction = 0.5), 8)
                let dir = tempDir "distill"
                try
                    let losses = ResizeArray()
                    Trainer(student, quick.With(steps = 12), bytes, eight, eight, dir, TensorBoard = false, Loss = Func<_, _>(d.SummedLoss),
                            OnStep = Action<StepLog>(fun s -> losses.Add s.Loss)).Run() |> ignore
                    List.ofSeq losses, d.OnPolicyBatches
                finally Directory.Delete(dir, true)
            let (first, onPolicy), (second, _) = run (), run ()
            Expect.equal first second "bit for bit"
            Expect.isLessThan (List.last first) (List.head first) "falls"
            Expect.isTrue (onPolicy > 0 && onPolicy < 12) $"the mix drew both kinds of batch ({onPolicy} of 12 on-policy)"
        }

        test "teacher targets are generated once, kept as JSONL, and a file cut mid-line is completed" {
            let dir = tempDir "teacher-targets"
            try
                let path = Path.Combine(dir, "targets.jsonl")
                let teacher = Counting(ModelTeacher(teacherModel 8L))
                let sources = [ for p in eight -> p.Source ]
                let first = TeacherTargets.Ensure(teacher, sources, 6, bytes.EosId, path)
                Expect.equal teacher.Generated 8 "all generated"
                Expect.equal first.Count 8 "one target per source"
                TeacherTargets.Ensure(teacher, sources, 6, bytes.EosId, path) |> ignore
                Expect.equal teacher.Generated 8 "none again"
                let text = File.ReadAllText path
                File.WriteAllText(path, text.Substring(0, text.Length - 5)) // the last line loses its end
                let again = TeacherTargets.Ensure(teacher, sources, 6, bytes.EosId, path)
                Expect.equal teacher.Generated 9 "the cut line's source is generated again"
                Expect.equal (again[TeacherTargets.Key sources[7]]) (first[TeacherTargets.Key sources[7]]) "to the same target"
                let d = Distiller(LanguageModel.Create(micro Architecture.EncoderDecoder, 9L), teacher, DistillConfig(Targets = TargetSource.Teacher), 8, again)
                use b = batchOf 4
                Expect.isTrue (Double.IsFinite(value (d.SummedLoss b))) "distils on the teacher's targets"
            finally Directory.Delete(dir, true)
        }

        test "configuration errors name the key" {
            Expect.throwsC (fun () -> DistillConfig().WithOverrides([ Collections.Generic.KeyValuePair("alfa", "0.5") ]) |> ignore)
                           (fun e -> Expect.stringContains e.Message "alpha" "lists the known keys")
            Expect.throwsC (fun () -> DistillConfig(Released = true).Validate() |> ignore) (fun e -> Expect.stringContains e.Message "student" "released needs student targets")
            let c = DistillConfig().WithOverrides([ Collections.Generic.KeyValuePair("divergence", "jsd"); Collections.Generic.KeyValuePair("targets", "mix") ])
            Expect.equal (c.Divergence, c.Targets) (Divergence.Jsd, TargetSource.Mix) "snake_case enum values"
        }
    ]
