module NotebookSlm.Tests.Distillation.KdTests

open System
open System.IO
open Expecto
open TorchSharp
open NotebookSlm.Models
open NotebookSlm.Distillation
open NotebookSlm.Tokenization

type private T = torch.Tensor

/// Logits (B, T, V) in float64 from a seeded generator.
let private logits (seed: int) (b: int) (t: int) (v: int) =
    let rng = Random seed
    torch.tensor(Array.init (b * t * v) (fun _ -> 3.0 * (rng.NextDouble() - 0.5))).reshape(int64 b, int64 t, int64 v)

let private value (x: T) = x.``to``(torch.ScalarType.Float64).item<float>()

/// softmax of one row, on the host: the reference the tests compare the library with.
let private softmax (tau: float) (row: float[]) =
    let m = Array.max row
    let e = row |> Array.map (fun z -> exp ((z - m) / tau))
    let s = Array.sum e
    e |> Array.map (fun x -> x / s)

let private kl (p: float[]) (q: float[]) = Array.fold2 (fun acc a b -> if a = 0.0 then acc else acc + a * log (a / b)) 0.0 p q

let private row (x: T) (b: int) (t: int) = x[int64 b, int64 t].data<float>().ToArray()

let private allMask (b: int) (t: int) = torch.ones(int64 b, int64 t, dtype = torch.ScalarType.Bool)

let private options = [ KdLossOptions(Divergence = Divergence.ForwardKl); KdLossOptions(Divergence = Divergence.ReverseKl)
                        KdLossOptions(Divergence = Divergence.Jsd, Beta = 0.3); KdLossOptions(Divergence = Divergence.ForwardKl, Tau = 2.0)
                        KdLossOptions(Released = true) ]

[<Tests>]
let tests =
    testSequenced <| testList "Distillation" [
        testList "KD loss" [
            testProperty "is 0 when the student equals the teacher, for every divergence and temperature" <| fun (seed: int) ->
                let z = logits seed 2 3 7
                for o in options do
                    let kd = KdLoss.Term(z, z.clone(), allMask 2 3, o)
                    Expect.isLessThan (abs (value kd)) 1e-12 $"{o}"

            test "forward and reverse KL and JSD(0.5) equal their definitions computed on the host" {
                let s, t = logits 1 2 3 5, logits 2 2 3 5
                let tau = 1.5
                let perTok d beta = KdLoss.PerToken(s, t, d, beta, tau)
                for b in 0 .. 1 do
                    for j in 0 .. 2 do
                        let ps, pt = softmax tau (row s b j), softmax tau (row t b j)
                        let m = Array.map2 (fun a c -> 0.5 * a + 0.5 * c) pt ps
                        Expect.floatClose Accuracy.high (value ((perTok Divergence.ForwardKl 0.5)[int64 b, int64 j])) (kl pt ps) "forward KL(T||S)"
                        Expect.floatClose Accuracy.high (value ((perTok Divergence.ReverseKl 0.5)[int64 b, int64 j])) (kl ps pt) "reverse KL(S||T)"
                        Expect.floatClose Accuracy.high (value ((perTok Divergence.Jsd 0.5)[int64 b, int64 j])) (0.5 * kl pt m + 0.5 * kl ps m) "JSD(0.5)"
            }

            test "JSD tends to 0 at both ends of beta, and beta 0 and 1 are defined as forward and reverse KL" {
                let s, t = logits 3 1 4 6, logits 4 1 4 6
                let jsd beta = value ((KdLoss.PerToken(s, t, Divergence.Jsd, beta)).sum())
                let fwd = value ((KdLoss.PerToken(s, t, Divergence.ForwardKl)).sum())
                let rev = value ((KdLoss.PerToken(s, t, Divergence.ReverseKl)).sum())
                Expect.isLessThan (jsd 1e-7) 1e-5 "beta -> 0: the mixture is the student, JSD -> 0"
                Expect.isLessThan (jsd (1.0 - 1e-7)) 1e-5 "beta -> 1: the mixture is the teacher, JSD -> 0"
                Expect.isGreaterThan (jsd 0.5) 1e-3 "inside (0, 1) it is not 0"
                Expect.floatClose Accuracy.veryHigh (jsd 0.0) fwd "beta = 0 is forward KL (GKD's definition)"
                Expect.floatClose Accuracy.veryHigh (jsd 1.0) rev "beta = 1 is reverse KL"
            }

            test "gradients with respect to the student's logits match finite differences" {
                let t = logits 5 1 2 4
                let mask = torch.tensor([| true; false |]).reshape(1L, 2L)
                for o in [ KdLossOptions(Divergence = Divergence.ForwardKl, Tau = 2.0); KdLossOptions(Divergence = Divergence.ReverseKl)
                           KdLossOptions(Divergence = Divergence.Jsd, Beta = 0.7, Tau = 0.5); KdLossOptions(Released = true) ] do
                    let s = (logits 6 1 2 4).requires_grad_(true)
                    let loss = KdLoss.Term(s, t, mask, o)
                    loss.backward()
                    let grad = s.grad.data<float>().ToArray()
                    let base' = (logits 6 1 2 4).data<float>().ToArray()
                    let h = 1e-6
                    for i in 0 .. base'.Length - 1 do
                        let at (d: float) =
                            let x = Array.copy base'
                            x[i] <- x[i] + d
                            value (KdLoss.Term(torch.tensor(x).reshape(1L, 2L, 4L), t, mask, o))
                        let numeric = (at h - at -h) / (2.0 * h)
                        Expect.isLessThan (abs (numeric - grad[i])) 1e-6 $"{o}: d loss / d s[{i}]: analytic {grad[i]}, numeric {numeric}"
            }

            test "masked positions do not count, and the mean is over real target tokens" {
                let s, t = logits 7 2 3 5, logits 8 2 3 5
                let mask = torch.tensor([| true; true; false; true; false; false |]).reshape(2L, 3L)
                let per = KdLoss.PerToken(s, t, Divergence.ForwardKl)
                let expected = [ 0, 0; 0, 1; 1, 0 ] |> List.averageBy (fun (b, j) -> value (per[int64 b, int64 j]))
                Expect.floatClose Accuracy.veryHigh (value (KdLoss.Term(s, t, mask, KdLossOptions()))) expected "mean over the three real tokens"
            }

            test "the released loss is forward KL summed over every position, padding included, divided by the batch size" {
                let s, t = logits 9 2 3 5, logits 10 2 3 5
                let mask = torch.tensor([| true; true; false; true; false; false |]).reshape(2L, 3L)
                let expected = [ for b in 0 .. 1 do for j in 0 .. 2 -> kl (softmax 1.0 (row t b j)) (softmax 1.0 (row s b j)) ] |> List.sum |> fun x -> x / 2.0
                Expect.floatClose Accuracy.high (value (KdLoss.Term(s, t, mask, KdLossOptions(Released = true)))) expected "batchmean, unmasked"
                Expect.isGreaterThan (abs (expected - value (KdLoss.Term(s, t, mask, KdLossOptions())))) 1e-3 "and it differs from the paper's masked mean"
            }

            test "alpha = 0 is plain cross-entropy, alpha = 1 is the KD term alone" {
                let s, t = logits 11 2 3 5, logits 12 2 3 5
                let targets = torch.tensor([| 1L; 2L; 0L; 3L; 0L; 0L |]).reshape(2L, 3L)
                let mask = torch.tensor([| true; true; false; true; false; false |]).reshape(2L, 3L)
                let ce = value (LanguageModel.TokenCrossEntropy(s, targets, mask))
                let struct (l0, _, _) = KdLoss.Compute(s, t, mask, s, targets, mask, KdLossOptions(Alpha = 0.0))
                Expect.equal (value l0) ce "alpha 0"
                let struct (l1, kd, _) = KdLoss.Compute(s, t, mask, s, targets, mask, KdLossOptions(Alpha = 1.0))
                Expect.floatClose Accuracy.veryHigh (value l1) kd "alpha 1"
                let struct (lh, kdh, ceh) = KdLoss.Compute(s, t, mask, s, targets, mask, KdLossOptions(Alpha = 0.25, Tau = 2.0))
                Expect.floatClose Accuracy.veryHigh (value lh) (0.25 * kdh + 0.75 * ceh) "the mix, tau^2 inside the KD part"
            }

            test "bad options are errors that name the field" {
                Expect.throwsC (fun () -> KdLossOptions(Alpha = 1.5).Validate() |> ignore) (fun e -> Expect.stringContains e.Message "alpha" "names alpha")
                Expect.throwsC (fun () -> KdLossOptions(Tau = 0.0).Validate() |> ignore) (fun e -> Expect.stringContains e.Message "tau" "names tau")
                Expect.throwsC (fun () -> KdLossOptions(Released = true, Divergence = Divergence.ReverseKl).Validate() |> ignore)
                               (fun e -> Expect.stringContains e.Message "released" "names released")
            }
        ]

        testList "alignment" [
            /// A teacher that copies its input one position ahead: at each position it puts all its
            /// mass on the token that follows in its own input (built by TeacherAlignment.Input), so
            /// its aligned logits must name, at every student position, that position's target token.
            let copyTeacher vocab =
                { new ITeacher with
                    member _.Name = "copy"
                    member _.VocabSize = vocab
                    member _.Generate(sources, _, _) = sources
                    member _.TargetLogits(batch) =
                        let struct (ids, _) = TeacherAlignment.Input batch
                        let next = torch.cat([| ids.narrow(1, 1, ids.shape[1] - 1L); ids.narrow(1, 0, 1L) |], 1L)      // (B, L): the token after each
                        let full = torch.nn.functional.one_hot(next, int64 vocab).``to``(torch.ScalarType.Float32)                   // (B, L, V)
                        TeacherAlignment.TargetPositions(full, batch) }

            test "every student position meets the teacher logit of the same target token" {
                let sources = [| [| 5; 6; 7 |]; [| 8; 9; 10; 11; 12 |]; [| 13 |] |]
                let targets = [| [| 20; 21; 2 |]; [| 22; 2 |]; [| 23; 24; 25; 26; 2 |] |]
                use batch = Seq2SeqBatch.From(sources, targets, 0)
                let logits = (copyTeacher 40).TargetLogits batch
                Expect.sequenceEqual logits.shape [| 3L; 5L; 40L |] "(B, T, V): one teacher distribution per student target position"
                let argmax = logits.argmax(-1L)
                for b in 0 .. 2 do
                    for t in 0 .. targets[b].Length - 1 do
                        Expect.equal (argmax[int64 b, int64 t].item<int64>()) (int64 targets.[b].[t]) $"row {b}, step {t}"
            }

            test "a decoder-only teacher's logits for a row do not depend on the other rows' padding" {
                let config = Presets.Micro.DecoderOnly
                let teacher = ModelTeacher(LanguageModel.Create(config, 3L))
                let s0, t0 = [| 5; 6; 7 |], [| 20; 21; 2 |]
                use alone = Seq2SeqBatch.From([| s0 |], [| t0 |], 0)
                use padded = Seq2SeqBatch.From([| s0; [| 8; 9; 10; 11; 12; 13; 14 |] |], [| t0; [| 22; 23; 24; 25; 2 |] |], 0)
                let a = teacher.TargetLogits alone
                let both = teacher.TargetLogits padded
                let b = both[0L].narrow(0, 0, 3L).unsqueeze(0)
                Expect.isLessThan (value ((a - b).abs().max())) 1e-4 "same logits with left padding and a longer neighbour"
            }

            test "logits are compared over the shared vocabulary prefix" {
                let s, t = torch.zeros(2L, 3L, 10L), torch.zeros(2L, 3L, 12L)
                let struct (a, b) = TeacherAlignment.SharedVocabulary(s, t)
                Expect.equal (a.shape[2]) 10L "student"
                Expect.equal (b.shape[2]) 10L "teacher cut to the student's"
            }

            test "tokenizers that disagree on special ids are an error naming each id" {
                let phi = AutoTokenizer.Load "phi-3.5"
                Expect.throwsC (fun () -> TeacherAlignment.CheckTokenizers(ByteTokenizer(), phi))
                               (fun e -> Expect.stringContains e.Message "eos" "names eos"; Expect.stringContains e.Message "phi" "names the teacher's tokenizer")
                TeacherAlignment.CheckTokenizers(phi, AutoTokenizer.Load "phi-3.5")
            }
        ]

        testList "teacher cache" [
            test "a cached teacher computes each example once and returns the same logits" {
                let dir = Path.Combine(Path.GetTempPath(), $"notebookslm-kdcache-{Guid.NewGuid():N}")
                try
                    let inner = ModelTeacher(LanguageModel.Create(Presets.Micro.DecoderOnly, 4L))
                    let cached = CachedTeacher(inner, dir)
                    let sources, targets = [| [| 5; 6; 7 |]; [| 8; 9 |] |], [| [| 20; 2 |]; [| 21; 22; 2 |] |]
                    use batch = Seq2SeqBatch.From(sources, targets, 0)
                    let first = cached.TargetLogits batch
                    Expect.equal (cached.Misses, cached.Hits) (2, 0) "computed"
                    let second = cached.TargetLogits batch
                    Expect.equal (cached.Misses, cached.Hits) (2, 2) "read back"
                    Expect.equal (value ((first - second).abs().max())) 0.0 "the same numbers"
                    let direct = inner.TargetLogits batch
                    let mask = batch.TargetMask.unsqueeze(-1L).``to``(torch.ScalarType.Float32)
                    Expect.isLessThan (value (((direct - second) * mask).abs().max())) 1e-5 "as the teacher computes them, at real positions"
                    // A batch that mixes a cached row with a new one computes only the new one.
                    use mixed = Seq2SeqBatch.From([| sources[0]; [| 30; 31 |] |], [| targets[0]; [| 32; 2 |] |], 0)
                    cached.TargetLogits mixed |> ignore
                    Expect.equal (cached.Misses, cached.Hits) (3, 3) "one more computed, one read"
                finally
                    if Directory.Exists dir then Directory.Delete(dir, true)
            }
        ]
    ]
