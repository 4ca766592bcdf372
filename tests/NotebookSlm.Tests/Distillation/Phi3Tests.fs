module NotebookSlm.Tests.Distillation.Phi3Tests

open System
open System.IO
open System.Collections.Generic
open Expecto
open TorchSharp
open NotebookSlm.Checkpoints
open NotebookSlm.Distillation
open NotebookSlm.Models

type private T = torch.Tensor

// A tiny Phi-3: 2 layers, width 32, 4 query heads and 2 K/V heads of 8, MLP 48, vocabulary 50,
// LongRoPE with original context 16 and maximum 64 (so the cos/sin scale is not 1).
let private hidden, inter, layers, heads, kvHeads, vocab = 32, 48, 2, 4, 2, 50
let private headDim = hidden / heads
let private originalMax, maxPositions = 16, 64
let private shortFactor = [| 1.0; 1.3; 1.7; 2.5 |]
let private longFactor = [| 1.0; 2.0; 4.0; 9.0 |]

let private configJson =
    let f (xs: float[]) = String.Join(", ", xs |> Array.map (fun x -> x.ToString(Globalization.CultureInfo.InvariantCulture)))
    $"""{{ "architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": {hidden}, "intermediate_size": {inter},
  "num_hidden_layers": {layers}, "num_attention_heads": {heads}, "num_key_value_heads": {kvHeads}, "vocab_size": {vocab},
  "rms_norm_eps": 1e-05, "hidden_act": "silu", "tie_word_embeddings": false, "rope_theta": 10000.0,
  "max_position_embeddings": {maxPositions}, "original_max_position_embeddings": {originalMax},
  "rope_scaling": {{ "type": "longrope", "short_factor": [{f shortFactor}], "long_factor": [{f longFactor}] }} }}"""

/// Seeded weights under Hugging Face's Phi-3 keys (fused qkv_proj and gate_up_proj).
let private weights () =
    torch.manual_seed 7L |> ignore
    let r (shape: int64[]) = torch.randn(shape) * 0.2
    let w = Dictionary<string, T>()
    w["model.embed_tokens.weight"] <- r [| int64 vocab; int64 hidden |]
    for i in 0 .. layers - 1 do
        let p = $"model.layers.{i}."
        w[p + "self_attn.qkv_proj.weight"] <- r [| int64 ((heads + 2 * kvHeads) * headDim); int64 hidden |]
        w[p + "self_attn.o_proj.weight"] <- r [| int64 hidden; int64 (heads * headDim) |]
        w[p + "mlp.gate_up_proj.weight"] <- r [| int64 (2 * inter); int64 hidden |]
        w[p + "mlp.down_proj.weight"] <- r [| int64 hidden; int64 inter |]
        w[p + "input_layernorm.weight"] <- 1.0 + r [| int64 hidden |]
        w[p + "post_attention_layernorm.weight"] <- 1.0 + r [| int64 hidden |]
    w["model.norm.weight"] <- 1.0 + r [| int64 hidden |]
    w["lm_head.weight"] <- r [| int64 vocab; int64 hidden |]
    w

/// Writes the folder as Hugging Face does: config.json, two shards and their index.
let private write (dir: string) (w: Dictionary<string, T>) =
    Directory.CreateDirectory dir |> ignore
    File.WriteAllText(Path.Combine(dir, "config.json"), configJson)
    let keys = w.Keys |> Seq.sort |> Array.ofSeq
    let first, second = keys |> Array.partition (fun k -> k.Contains "layers.0." || k.Contains "embed")
    SafeTensors.Save(Path.Combine(dir, "model-00001-of-00002.safetensors"), [ for k in first -> struct (k, w[k]) ])
    SafeTensors.Save(Path.Combine(dir, "model-00002-of-00002.safetensors"), [ for k in second -> struct (k, w[k]) ])
    let map = String.Join(", ", [ for k in first -> $"\"{k}\": \"model-00001-of-00002.safetensors\"" ] @ [ for k in second -> $"\"{k}\": \"model-00002-of-00002.safetensors\"" ])
    File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), $"{{ \"metadata\": {{ \"total_size\": 0 }}, \"weight_map\": {{ {map} }} }}")

/// The reference forward, written here from the definitions (not from the library's blocks):
/// fused projections as stored, rotate-half RoPE with LongRoPE's factors and scale, K/V heads
/// repeated by repeat_interleave, softmax attention under a causal mask. ids: one row (T).
let private reference (w: Dictionary<string, T>) (ids: int64[]) =
    let t = ids.Length
    let rms (x: T) (g: T) = x * torch.rsqrt(x.pow(torch.tensor 2.0).mean([| -1L |], keepdim = true) + 1e-5) * g
    let factors = if t > originalMax then longFactor else shortFactor
    let scale = sqrt (1.0 + log (float maxPositions / float originalMax) / log (float originalMax))
    let inv = Array.init (headDim / 2) (fun j -> 1.0 / (10000.0 ** (float (2 * j) / float headDim)) / factors[j])
    let angle = Array2D.init t headDim (fun p j -> float p * inv[j % (headDim / 2)])
    let cos = torch.tensor(Array.init (t * headDim) (fun i -> float32 (Math.Cos(angle[i / headDim, i % headDim]) * scale))).reshape(int64 t, int64 headDim)
    let sin = torch.tensor(Array.init (t * headDim) (fun i -> float32 (Math.Sin(angle[i / headDim, i % headDim]) * scale))).reshape(int64 t, int64 headDim)
    let rotate (x: T) = // (H, T, Dh)
        let h = int64 (headDim / 2)
        x * cos + torch.cat([| -x.narrow(-1, h, h); x.narrow(-1, 0L, h) |], -1L) * sin
    let causal = torch.ones(int64 t, int64 t).tril()
    let mutable x = w["model.embed_tokens.weight"].index_select(0L, torch.tensor ids)                        // (T, D)
    for i in 0 .. layers - 1 do
        let p = $"model.layers.{i}."
        let h = rms x (w[p + "input_layernorm.weight"])
        let qkv = h.matmul(w[p + "self_attn.qkv_proj.weight"].t())
        let split (start: int) (n: int) = qkv.narrow(1, int64 (start * headDim), int64 (n * headDim)).reshape(int64 t, int64 n, int64 headDim).transpose(0, 1)
        let q, k, v = rotate (split 0 heads), rotate (split heads kvHeads), split (heads + kvHeads) kvHeads
        let k, v = k.repeat_interleave(int64 (heads / kvHeads), 0L), v.repeat_interleave(int64 (heads / kvHeads), 0L)
        let scores = q.matmul(k.transpose(1, 2)) / sqrt (float headDim)
        let probs = scores.masked_fill(causal.eq(torch.tensor 0.0f), Double.NegativeInfinity).softmax(-1L)
        let attn = probs.matmul(v).transpose(0, 1).reshape(int64 t, int64 (heads * headDim))
        x <- x + attn.matmul(w[p + "self_attn.o_proj.weight"].t())
        let h2 = rms x (w[p + "post_attention_layernorm.weight"])
        let gu = h2.matmul(w[p + "mlp.gate_up_proj.weight"].t())
        let gate, up = gu.narrow(1, 0L, int64 inter), gu.narrow(1, int64 inter, int64 inter)
        x <- x + (torch.nn.functional.silu(gate) * up).matmul(w[p + "mlp.down_proj.weight"].t())
    (rms x (w["model.norm.weight"])).matmul(w["lm_head.weight"].t())                                         // (T, V)

let private maxDiff (a: T) (b: T) = (a - b).abs().max().item<float32>() |> float

let private tempDir () = Path.Combine(Path.GetTempPath(), $"notebookslm-phi3-{Guid.NewGuid():N}")

[<Tests>]
let tests =
    testSequenced <| testList "Phi-3 teacher" [
        test "logits from sharded Hugging Face files equal the reference forward, with short and long LongRoPE factors" {
            let dir = tempDir ()
            try
                let w = weights ()
                write dir w
                let teacher = Phi3Teacher.Load dir
                for length in [ 9; 23 ] do // 23 > original_max_position_embeddings: the long factors
                    let ids = Array.init length (fun i -> int64 ((i * 7 + 3) % vocab))
                    let ours = teacher.forward(torch.tensor(ids).unsqueeze(0L), null).squeeze(0L)
                    let expected = reference w ids
                    Expect.isLessThan (maxDiff ours expected) 1e-4 $"length {length}"
                // The two factor sets really differ in effect (so the test above can tell them apart).
                let cosLong = (teacher.Rope(23, torch.CPU, torch.ScalarType.Float32)).Cos
                let cosShort = (teacher.Rope(9, torch.CPU, torch.ScalarType.Float32)).Cos
                Expect.isGreaterThan (maxDiff (cosLong.narrow(0, 0L, 9L)) cosShort) 1e-3 "long and short factors give other angles"
                Expect.floatClose Accuracy.medium (cosShort[0L, 0L].item<float32>() |> float) (sqrt (1.0 + log 4.0 / log 16.0)) "cos at position 0 is the LongRoPE scale"
            finally if Directory.Exists dir then Directory.Delete(dir, true)
        }

        test "a PEFT LoRA adapter is merged as W + (alpha / r) B A" {
            let dir, adapter = tempDir (), tempDir ()
            try
                let w = weights ()
                write dir w
                Directory.CreateDirectory adapter |> ignore
                File.WriteAllText(Path.Combine(adapter, "adapter_config.json"),
                                  """{ "peft_type": "LORA", "r": 2, "lora_alpha": 8, "target_modules": ["qkv_proj", "down_proj"], "use_rslora": false, "fan_in_fan_out": false }""")
                torch.manual_seed 9L |> ignore
                let a0, b0 = torch.randn(2L, int64 hidden) * 0.3, torch.randn(int64 ((heads + 2 * kvHeads) * headDim), 2L) * 0.3
                let a1, b1 = torch.randn(2L, int64 inter) * 0.3, torch.randn(int64 hidden, 2L) * 0.3
                SafeTensors.Save(Path.Combine(adapter, "adapter_model.safetensors"),
                                 [ struct ("base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight", a0); struct ("base_model.model.model.layers.0.self_attn.qkv_proj.lora_B.weight", b0)
                                   struct ("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight", a1); struct ("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight", b1) ])
                let merged = Dictionary<string, T>(w)
                merged["model.layers.0.self_attn.qkv_proj.weight"] <- w["model.layers.0.self_attn.qkv_proj.weight"] + 4.0 * b0.matmul(a0)
                merged["model.layers.1.mlp.down_proj.weight"] <- w["model.layers.1.mlp.down_proj.weight"] + 4.0 * b1.matmul(a1)
                let teacher = Phi3Teacher.Load(dir, adapter)
                let ids = Array.init 12 (fun i -> int64 ((i * 5 + 1) % vocab))
                let ours = teacher.forward(torch.tensor(ids).unsqueeze(0L), null).squeeze(0L)
                Expect.isLessThan (maxDiff ours (reference merged ids)) 1e-4 "the merged model's logits"
                Expect.isGreaterThan (maxDiff ours (reference w ids)) 1e-3 "and not the base model's"
            finally
                for d in [ dir; adapter ] do if Directory.Exists d then Directory.Delete(d, true)
        }

        test "as a teacher it aligns left-padded sources: each row's target logits equal its own unpadded forward" {
            let dir = tempDir ()
            try
                let w = weights ()
                write dir w
                let teacher = Phi3Teacher.Load dir :> ITeacher
                let sources, targets = [| [| 5; 6; 7 |]; [| 8; 9; 10; 11; 12 |] |], [| [| 20; 21; 2 |]; [| 22; 2 |] |]
                use batch = Seq2SeqBatch.From(sources, targets, 0)
                let logits = teacher.TargetLogits batch                                                 // (2, 3, V)
                // Row 1 has the longest source: no padding, positions as in its own forward.
                let ids1 = Array.append sources[1] targets[1] |> Array.map int64
                let expected1 = (reference w ids1).narrow(0, int64 (sources[1].Length - 1), int64 targets[1].Length)
                Expect.isLessThan (maxDiff (logits[1L].narrow(0, 0L, 2L)) expected1) 1e-4 "row 1"
                // Row 0 is left-padded by 2: RoPE is relative, so its logits match its unpadded forward.
                let ids0 = Array.append sources[0] targets[0] |> Array.map int64
                let expected0 = (reference w ids0).narrow(0, int64 (sources[0].Length - 1), int64 targets[0].Length)
                Expect.isLessThan (maxDiff (logits[0L]) expected0) 1e-4 "row 0, left-padded"
            finally if Directory.Exists dir then Directory.Delete(dir, true)
        }

        test "broken folders give one clear error each" {
            let dir = tempDir ()
            try
                let w = weights ()
                w.Remove "model.layers.1.mlp.down_proj.weight" |> ignore
                write dir w
                Expect.throwsC (fun () -> Phi3Teacher.Load dir |> ignore) (fun e -> Expect.stringContains e.Message "model.layers.1.mlp.down_proj.weight" "names the missing weight")
                File.Delete(Path.Combine(dir, "model-00002-of-00002.safetensors"))
                Expect.throwsC (fun () -> Phi3Teacher.Load dir |> ignore) (fun e -> Expect.stringContains e.Message "model-00002-of-00002" "names the missing shard")
                File.WriteAllText(Path.Combine(dir, "config.json"), configJson.Replace("\"type\": \"longrope\"", "\"type\": \"yarn\""))
                Expect.throwsC (fun () -> Phi3Teacher.Load dir |> ignore) (fun e -> Expect.stringContains e.Message "yarn" "names the unsupported scaling")
                Expect.throwsC (fun () -> Phi3Teacher.Load(tempDir ()) |> ignore) (fun e -> Expect.stringContains e.Message "config.json" "names config.json")
            finally if Directory.Exists dir then Directory.Delete(dir, true)
        }
    ]
