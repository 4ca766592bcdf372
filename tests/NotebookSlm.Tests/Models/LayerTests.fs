module NotebookSlm.Tests.Models.LayerTests

open System
open Expecto
open TorchSharp
open NotebookSlm.Models
open NotebookSlm.Tests.Common

type T = torch.Tensor

/// Textbook attention with the module's own weights: K/V heads repeated explicitly, query
/// head h reading K/V head (h mod Hkv) as the released torch.cat does, or (h / G) interleaved.
let referenceAttention (attn: Attention) (c: ModelConfig) (x: T) (src: T) (allowed: T option) =
    use scope = torch.NewDisposeScope()
    let p = attn.named_parameters() |> Seq.map (fun struct (n, w) -> n, w) |> dict
    let lin (name: string) (t: T) = torch.nn.functional.linear(t, p[name + ".weight"], p[name + ".bias"])
    let b, t, s = x.shape[0], x.shape[1], src.shape[1]
    let heads (n: int) (y: T) (len: int64) = y.view(b, len, int64 n, int64 c.HeadDim).transpose(1, 2)
    let q = heads c.Heads (lin "q_linear" x) t
    let k = heads c.KvHeads (lin "k_linear" src) s
    let v = heads c.KvHeads (lin "v_linear" src) s
    let g = c.Heads / c.KvHeads
    let index = torch.tensor([| for h in 0 .. c.Heads - 1 -> int64 (if c.KvInterleaved then h / g else h % c.KvHeads) |])
    let k, v = k.index_select(1L, index), v.index_select(1L, index)
    let mutable scores = q.matmul(k.transpose(-2, -1)) / Math.Sqrt(float c.HeadDim)
    match allowed with
    | Some m -> scores <- scores.masked_fill(m.logical_not(), Double.NegativeInfinity)
    | None -> ()
    let o = scores.softmax(-1).matmul(v).transpose(1, 2).reshape(b, t, int64 c.AttentionWidth)
    (lin "out_linear" o).MoveToOuterDisposeScope()

let attentionCase (c: ModelConfig) (causal: bool) =
    torch.manual_seed 7L |> ignore
    use attn = new Attention(c)
    attn.eval()
    let x = torch.randn(2L, 5L, int64 c.DModel)
    let src = if causal then x else torch.randn(2L, 7L, int64 c.DModel)
    use _ = torch.no_grad()
    if causal then
        let mask = Masks.Causal(5L, 5L, 0L)
        let q = attn.Queries x
        let struct (k, v) = attn.KeysValues x
        maxDiff (attn.Attend(q, k, v, mask)) (referenceAttention attn c x x (Some mask))
    else
        maxDiff (attn.forward(x, src)) (referenceAttention attn c x src None)

[<Tests>]
let tests =
    testList "Layers" [
        test "RMSNorm divides by the root mean square and applies the gain" {
            use n = new RmsNorm(8L, 1e-6)
            let x = torch.randn(3L, 8L) * 5.0
            let expected = x / torch.sqrt((x * x).mean([| -1L |], keepdim = true) + 1e-6)
            Expect.isLessThan (maxDiff (n.forward x) expected) 1e-5 "unit gain"
        }

        test "RMSNorm on bf16 accumulates in fp32" {
            use n = new RmsNorm(256L, 1e-6)
            n.``to``(torch.ScalarType.BFloat16) |> ignore
            let x = (torch.randn(4L, 256L) * 100.0).``to``(torch.ScalarType.BFloat16)
            let y = n.forward x
            Expect.equal y.dtype torch.ScalarType.BFloat16 "dtype kept"
            let exact = x.``to``(torch.ScalarType.Float32) / torch.sqrt((x.``to``(torch.ScalarType.Float32) * x.``to``(torch.ScalarType.Float32)).mean([| -1L |], keepdim = true) + 1e-6)
            Expect.isLessThan (maxDiff y exact) 0.02 "within bf16 rounding of the fp32 result"
        }

        test "the NTK base is unchanged inside the block size and grows beyond it" {
            Expect.equal (Rope.NtkBase(10000.0, 1.0, 64, 4096, 1024)) 10000.0 "factor 1"
            Expect.equal (Rope.NtkBase(10000.0, 2.0, 64, 512, 1024)) 10000.0 "inside the block"
            // factor 2 at L = 2 L0: base * (2 * 2 - 1)^(64 / 62)
            Expect.floatClose Accuracy.high (Rope.NtkBase(10000.0, 2.0, 64, 2048, 1024)) (10000.0 * Math.Pow(3.0, 64.0 / 62.0)) "released formula"
        }

        test "encoder positions are centred as released: i - (T - 1) / 2" {
            Expect.sequenceEqual (Rope.Positions(5, 0, true).data<float32>().ToArray()) [| -2.f; -1.f; 0.f; 1.f; 2.f |] "odd length"
            Expect.sequenceEqual (Rope.Positions(4, 0, true).data<float32>().ToArray()) [| -1.f; 0.f; 1.f; 2.f |] "even length"
            Expect.sequenceEqual (Rope.Positions(3, 4, false).data<float32>().ToArray()) [| 4.f; 5.f; 6.f |] "decoder offset"
        }

        testProperty "RoPE scores depend only on the offset between positions" <| fun (i: int) (j: int) (shift: int) (seed: int) ->
            let i, j, shift = abs i % 300, abs j % 300, (abs shift % 500) - 250
            torch.manual_seed (int64 seed) |> ignore
            let q, k = torch.randn(1L, 1L, 1L, 64L), torch.randn(1L, 1L, 1L, 64L)
            let score (a: int) (b: int) =
                let struct (cosA, sinA) = Rope.Angles(torch.tensor([| float32 a |]), 64, 10000.0, torch.ScalarType.Float32)
                let struct (cosB, sinB) = Rope.Angles(torch.tensor([| float32 b |]), 64, 10000.0, torch.ScalarType.Float32)
                (Rope.Apply(q, cosA, sinA) * Rope.Apply(k, cosB, sinB)).sum().item<float32>()
            abs (score i j - score (i + shift) (j + shift)) < 1e-3f

        test "GQA with as many KV heads as query heads is plain multi-head attention" {
            let c = Presets.Micro.EncDec.With(heads = 4, kvHeads = 4)
            Expect.isLessThan (attentionCase c false) 1e-5 "cross"
            Expect.isLessThan (attentionCase c true) 1e-5 "causal"
        }

        test "grouped queries read the K/V head the released code assigns (h mod Hkv)" {
            let c = Presets.Micro.EncDec.With(heads = 4, kvHeads = 2)
            Expect.isLessThan (attentionCase c false) 1e-5 "cross"
            Expect.isLessThan (attentionCase c true) 1e-5 "causal, mask folded with the groups"
        }

        test "interleaved grouping reads K/V head h / G (Llama layout)" {
            let c = Presets.Micro.EncDec.With(heads = 4, kvHeads = 2, kvInterleaved = true)
            Expect.isLessThan (attentionCase c false) 1e-5 "cross"
            Expect.isLessThan (attentionCase c true) 1e-5 "causal"
        }

        test "a causal mask lets each query see itself and the past only" {
            let m = Masks.Causal(3L, 5L, 2L).squeeze().``to``(torch.ScalarType.Int32).data<int>().ToArray()
            Expect.sequenceEqual m [| 1;1;1;0;0;  1;1;1;1;0;  1;1;1;1;1 |] "offset 2"
        }
    ]
