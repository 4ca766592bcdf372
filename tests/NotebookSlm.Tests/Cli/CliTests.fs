module NotebookSlm.Tests.Cli.CliTests

open System.Text.Json
open Expecto
open NotebookSlm.Tests.Common

[<Tests>]
let tests =
    testList "slm command line" [
        test "params --json reports the 330M 2/3-1/3 preset within 3% of 330M" {
            let rc, out, err = slm [ "params"; "--preset"; "330m-encdec-2_3"; "--json" ]
            Expect.equal rc 0 err
            let doc = JsonDocument.Parse(out).RootElement
            let total = doc.GetProperty("parameters_total").GetInt64()
            Expect.isLessThan (abs (float total / 330e6 - 1.0)) 0.03 $"total {total}"
            Expect.equal (doc.GetProperty("encoder_layers").GetInt32()) 32 "encoder layers"
            Expect.equal (doc.GetProperty("decoder_layers").GetInt32()) 12 "decoder layers"
            let byComponent = doc.GetProperty("parameters_by_component")
            let sum = byComponent.EnumerateObject() |> Seq.sumBy (fun p -> p.Value.GetInt64())
            Expect.equal sum total "components add up"
            Expect.isGreaterThan (byComponent.GetProperty("cross_attention").GetInt64()) 0L "cross-attention listed"
        }

        test "presets lists every preset" {
            let rc, out, _ = slm [ "presets" ]
            Expect.equal rc 0 "exit code"
            for name in [ "330m-released"; "330m-encdec-1_3"; "330m-encdec-1_2"; "330m-encdec-2_3"; "330m-deconly"; "500m-encdec-2_3"; "1b-deconly"; "tiny-encdec-2_3" ] do
                Expect.stringContains out name name
        }

        test "bad input is one line on stderr and exit code 1, never a stack trace" {
            for args in [ [ "params"; "--preset"; "nope" ]
                          [ "params"; "--preset"; "tiny-deconly"; "--override"; "layers=3" ]
                          [ "generate"; "--checkpoint"; "/nonexistent"; "--prompt"; "x" ] ] do
                let rc, _, err = slm args
                Expect.equal rc 1 (String.concat " " args)
                Expect.stringStarts err "error: " "one error line"
                Expect.isFalse (err.Contains "   at ") "no stack trace"
        }

        test "generate is reproducible and --no-cache gives the cached tokens" {
            let run extra = slm ([ "generate"; "--preset"; "micro-encdec"; "--prompt"; "Encoders read once."; "--max-new-tokens"; "12"; "--seed"; "3" ] @ extra)
            let ids (out: string) = out.Split('\n') |> Array.find (fun l -> l.StartsWith "ids:")
            let _, a, _ = run []
            let _, b, _ = run []
            let rc, c, err = run [ "--no-cache" ]
            Expect.equal rc 0 err
            Expect.equal (ids a) (ids b) "same seed, same tokens"
            Expect.equal (ids c) (ids a) "recompute equals cache"
            Expect.stringContains a "first token:" "timing printed"
            let rc, s1, _ = run [ "--sample"; "--top-k"; "20"; "--temperature"; "0.8" ]
            let _, s2, _ = run [ "--sample"; "--top-k"; "20"; "--temperature"; "0.8" ]
            Expect.equal rc 0 "sampling runs"
            Expect.equal (ids s1) (ids s2) "seeded sampling repeats"
        }

        test "bench generate shows cached and recomputing speeds side by side" {
            let out = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"bench-{System.Guid.NewGuid():N}.json")
            let rc, stdout, err = slm [ "bench"; "generate"; "--presets"; "micro-encdec,micro-deconly"; "--input"; "16"; "--new-tokens"; "8"; "--repeats"; "1"; "--profile"; "smoke"; "--out"; out ]
            Expect.equal rc 0 err
            Expect.stringContains stdout "cached tok/s" "cached column"
            Expect.stringContains stdout "recompute tok/s" "recompute column"
            let doc = NotebookSlm.Reporting.ResultsFile.Read out
            Expect.equal doc.Study "bench-generate" "study named"
            Expect.equal doc.Run.Profile "smoke" "stamped profile"
            Expect.equal doc.Run.Libraries.TorchSharp "0.107.0" "TorchSharp version stamped"
            Expect.equal (doc.Parameters.GetProperty("new_tokens").GetInt32()) 8 "parameters recorded"
            Expect.isFalse (doc.Results.TryGetProperty("markdown") |> fst) "nothing rendered in the file"
            let rows = [ for r in doc.Results.GetProperty("rows").EnumerateArray() -> r ]
            Expect.equal rows.Length 2 "one row per preset"
            for r in rows do
                Expect.isTrue (r.GetProperty("same_tokens").GetBoolean()) "cache and recompute agree"
        }
    
        test "tokenize --json prints ids, tokens and a lossless round trip" {
            let rc, out, err = slm [ "tokenize"; "--tokenizer"; "phi-3.5"; "--text"; "Hello world"; "--json" ]
            Expect.equal rc 0 err
            let doc = JsonDocument.Parse(out).RootElement
            Expect.sequenceEqual [ for x in doc.GetProperty("ids").EnumerateArray() -> x.GetInt32() ] [ 15043; 3186 ] "ids"
            Expect.isTrue (doc.GetProperty("round_trip").GetBoolean()) "round trip"
            Expect.equal (doc.GetProperty("special").GetProperty("eos").GetInt32()) 32000 "eos"
        }

        test "data inspect prints statistics, or one error naming file, line and field" {
            let fixture = System.IO.Path.Combine(repoRoot, "tests/NotebookSlm.Tests/fixtures/readers/dev-v2.0.json")
            let rc, out, err = slm [ "data"; "inspect"; "--format"; "squad"; fixture ]
            Expect.equal rc 0 err
            Expect.stringContains out "unanswerable" "SQuAD statistics"
            let bad = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"bad-{System.Guid.NewGuid():N}.jsonl")
            System.IO.File.WriteAllText(bad, "{\"source\": \"a\", \"target\": \"b\"}\n{\"source\": 3, \"target\": \"b\"}\n")
            let rc, _, err = slm [ "data"; "inspect"; "--format"; "jsonl"; bad ]
            Expect.equal rc 1 "exit code"
            Expect.stringContains err $"{bad}:2" "file and line"
            Expect.stringContains err "source" "field"
            Expect.isFalse (err.Contains "   at ") "no stack trace"
        }

        test "export onnx-static writes QDQ graphs calibrated on a text file, and refuses QDQ without one" {
            let tmp = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"static-{System.Guid.NewGuid():N}")
            System.IO.Directory.CreateDirectory tmp |> ignore
            let text = System.IO.Path.Combine(tmp, "calibration.txt")
            System.IO.File.WriteAllText(text, "Encoders read the input once.\n\nDecoders write one token at a time.\n\nCross-attention reads the encoder states.\n")
            let out = System.IO.Path.Combine(tmp, "qdq")
            let rc, stdout, err = slm [ "export"; "onnx-static"; "--preset"; "micro-deconly"; "--prompt-length"; "48"; "--max-new-tokens"; "4"
                                        "--qdq"; "a16w8"; "--calibration"; text; "--tokenizer"; "bytes"; "--out"; out ]
            Expect.equal rc 0 err
            Expect.stringContains stdout "calibrating on 3 paragraphs" "calibration text read"
            let doc = JsonDocument.Parse(System.IO.File.ReadAllText(System.IO.Path.Combine(out, "model_description.json"))).RootElement
            Expect.equal (doc.GetProperty("quantization").GetString()) "a16w8" "quantization recorded"
            Expect.isGreaterThan (doc.GetProperty("ranges").EnumerateObject() |> Seq.length) 10 "calibrated ranges recorded"
            for f in [ "prefill_model.onnx"; "decode_model.onnx" ] do Expect.isTrue (System.IO.File.Exists(System.IO.Path.Combine(out, f))) f
            let rc, _, err = slm [ "export"; "onnx-static"; "--preset"; "micro-deconly"; "--qdq"; "a8w8"; "--out"; out ]
            Expect.equal rc 1 "no calibration text"
            Expect.stringContains err "--calibration" "says what is missing"
        }

        test "a checkpoint goes to the authors' torch.save layout and back with every weight bit for bit" {
            let tmp = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"notebookslm-handoff-{System.Guid.NewGuid():N}")
            let ours = System.IO.Path.Combine(tmp, "ours")
            let m = spicedModel NotebookSlm.Models.Presets.Micro.EncDec 21L
            NotebookSlm.Checkpoints.Checkpoint.Save(m, ours)
            let pt = System.IO.Path.Combine(tmp, "released.pt")
            let rc, _, err = slm [ "export"; "released"; "--checkpoint"; ours; "--out"; pt ]
            Expect.equal rc 0 err
            let back = System.IO.Path.Combine(tmp, "back")
            let rc, _, err = slm [ "import"; "released"; pt; "--config"; System.IO.Path.Combine(ours, "config.json"); "--out"; back ]
            Expect.equal rc 0 err
            let a = m.Module.state_dict()
            let b = (NotebookSlm.Checkpoints.Checkpoint.Load back).Module.state_dict()
            Expect.sequenceEqual (b.Keys |> Seq.sort) (a.Keys |> Seq.sort) "the same tensors"
            for KeyValue(k, t) in a do Expect.isTrue (t.eq(b[k]).all().item<bool>()) $"{k}: bit for bit"
        }

        test "data list names the five corpus recipes" {
            let rc, out, err = slm [ "data"; "list"; "--out"; System.IO.Path.GetTempPath() ]
            Expect.equal rc 0 err
            for name in [ "edu-local"; "qa-local"; "sum-local"; "code-local"; "essay-local" ] do Expect.stringContains out name name
        }
    ]
