module NotebookSlm.Tests.Checkpoints.CheckpointTests

open System
open System.IO
open Expecto
open TorchSharp
open TorchSharp.PyBridge
open NotebookSlm.Models
open NotebookSlm.Checkpoints
open NotebookSlm.Runtime
open NotebookSlm.Tests.Common

let tempDir () =
    let d = Path.Combine(Path.GetTempPath(), $"notebookslm-test-{Guid.NewGuid():N}")
    Directory.CreateDirectory d |> ignore
    d

/// Every parameter bit-identical.
let expectSameWeights (a: ILanguageModel) (b: ILanguageModel) =
    let sa, sb = a.Module.state_dict(), b.Module.state_dict()
    Expect.sequenceEqual (Seq.sort sa.Keys) (Seq.sort sb.Keys) "same keys"
    for KeyValue(k, v) in sa do
        Expect.equal sb[k].dtype v.dtype $"{k} dtype"
        Expect.isTrue (v.bytes.ToArray() = sb[k].bytes.ToArray()) $"{k} bit-exact"

[<Tests>]
let tests =
    testList "Checkpoints" [
        test "safetensors with config.json round-trip bit-exactly, both architectures, fp32 and bf16" {
            for c in [ Presets.Micro.EncDec; Presets.Micro.DecoderOnly ] do
                for dtype in [ torch.ScalarType.Float32; torch.ScalarType.BFloat16 ] do
                    let dir = tempDir ()
                    let m = LanguageModel.Create(c, 21L)
                    m.Module.``to``(dtype) |> ignore
                    Checkpoint.Save(m, dir)
                    let loaded = Checkpoint.Load dir
                    loaded.Module.``to``(dtype) |> ignore
                    Expect.equal loaded.Config c "config"
                    expectSameWeights m loaded
        }

        test "safetensors headers follow the format: names, dtypes, shapes, offsets and metadata" {
            let dir = tempDir ()
            let m = LanguageModel.Create(Presets.Micro.DecoderOnly, 1L)
            Checkpoint.Save(m, dir, readOnlyDict [ "purpose", "test" ])
            let struct (infos, meta, start) = SafeTensors.ReadHeader(Path.Combine(dir, Checkpoint.WeightsFile))
            Expect.equal meta["purpose"] "test" "metadata kept"
            Expect.equal meta["format"] "pt" "format tag"
            Expect.equal (start % 8L) 0L "data section aligned"
            let wte = infos |> Seq.find (fun i -> i.Name = "transformer.wte.weight")
            Expect.equal wte.DType "F32" "dtype"
            Expect.sequenceEqual wte.Shape [| 384L; 32L |] "shape"
            Expect.equal (wte.End - wte.Begin) (384L * 32L * 4L) "byte range"
        }

        test "the authors' layout round-trips bit-exactly with the released keys and a tied lm_head" {
            let path = Path.Combine(tempDir (), "model.pt")
            let m = LanguageModel.Create(Presets.Micro.EncDec, 5L)
            m.Module.``to``(torch.ScalarType.BFloat16) |> ignore   // the release is bf16
            Checkpoint.SaveReleased(m, path)
            let root = PyTorchUnpickler.UnpickleStateDict path
            let state = root["model_state_dict"] :?> Collections.Hashtable
            for key in [ "transformer.wte.weight"; "transformer.e.0.attn.q_linear.weight"; "transformer.e.1.mlp.fc2.bias"
                         "transformer.ln_e.weight"; "transformer.h.0.causal_attn.out_linear.weight"; "transformer.h.1.cross_attn.k_linear.bias"
                         "transformer.h.1.ln3.weight"; "transformer.ln_f.weight"; "lm_head.weight" ] do
                Expect.isTrue (state.ContainsKey key) key
            let loaded = Checkpoint.LoadReleased(path, Presets.Micro.EncDec)
            loaded.Module.``to``(torch.ScalarType.BFloat16) |> ignore
            expectSameWeights m loaded
        }

        test "a checkpoint for another shape is refused, naming the tensor and both shapes" {
            let dir = tempDir ()
            Checkpoint.Save(LanguageModel.Create(Presets.Micro.EncDec, 1L), dir)
            let wider = Presets.Micro.EncDec.With(mlpHidden = 96)
            let state = SafeTensors.Load(Path.Combine(dir, Checkpoint.WeightsFile))
            expectError<CheckpointException> (fun () -> Checkpoint.LoadState(LanguageModel.Create wider, state, "ckpt")) [ "transformer.e.0.mlp.fc1.weight"; "[64, 32]"; "[96, 32]" ]
        }

        test "missing and unexpected keys are listed" {
            let state = Collections.Generic.Dictionary<string, torch.Tensor>(LanguageModel.Create(Presets.Micro.DecoderOnly).Module.state_dict())
            state.Remove "transformer.ln_f.weight" |> ignore
            state["transformer.extra"] <- torch.zeros(1L)
            expectError<CheckpointException> (fun () -> Checkpoint.LoadState(LanguageModel.Create Presets.Micro.DecoderOnly, state, "ckpt"))
                [ "Missing: transformer.ln_f.weight"; "Unexpected: transformer.extra" ]
        }

        test "a truncated or foreign file gets an error naming the file" {
            let dir = tempDir ()
            Checkpoint.Save(LanguageModel.Create(Presets.Micro.DecoderOnly, 1L), dir)
            let path = Path.Combine(dir, Checkpoint.WeightsFile)
            let bytes = File.ReadAllBytes path
            File.WriteAllBytes(path, bytes[.. bytes.Length - 100])
            expectError<CheckpointException> (fun () -> SafeTensors.Load path |> ignore) [ path; "data_offsets" ]
            File.WriteAllText(path, "this is not a checkpoint")
            expectError<CheckpointException> (fun () -> SafeTensors.Load path |> ignore) [ path ]
            expectError<CheckpointException> (fun () -> Checkpoint.LoadReleased(path) |> ignore) [ path ]
        }

        test "a failed save leaves the previous file intact" {
            let dir = tempDir ()
            let path = Path.Combine(dir, "file.bin")
            File.WriteAllText(path, "good")
            try AtomicFile.Write(path, fun s -> s.WriteByte 1uy; failwith "disk full") with _ -> ()
            Expect.equal (File.ReadAllText path) "good" "old content kept"
            Expect.sequenceEqual (Directory.GetFiles dir |> Array.map Path.GetFileName) [| "file.bin" |] "no temp file left"
        }

        test "a checkpoint folder without config.json is refused clearly" {
            let dir = tempDir ()
            expectError<CheckpointException> (fun () -> Checkpoint.Load dir |> ignore) [ dir; "config.json" ]
        }
    ]
