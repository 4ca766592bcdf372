module NotebookSlm.Tests.Models.ConfigTests

open Expecto
open NotebookSlm.Models
open NotebookSlm.Accounting
open NotebookSlm.Tests.Common

let within (pct: float) (target: float) (actual: int64) =
    abs (float actual / target - 1.0) <= pct / 100.0

[<Tests>]
let tests =
    testList "Model configuration" [
        test "every preset is valid" {
            for c in Presets.All do Expect.isEmpty (c.Problems()) c.Name
        }

        test "heads must divide by KV heads, and the error names both fields" {
            let bad = Presets.Micro.EncDec.With(heads = 6, kvHeads = 4)
            expectError<ConfigException> (fun () -> bad.Validate() |> ignore) [ "micro-encdec"; "Heads (6) must be divisible by KvHeads (4)" ]
        }

        test "every problem is reported at once" {
            let bad = Presets.Micro.EncDec.With(heads = 6, kvHeads = 4, headDim = 7, dropout = 1.5)
            let problems = bad.Problems() |> String.concat "; "
            Expect.stringContains problems "Heads (6) must be divisible by KvHeads (4)" "GQA"
            Expect.stringContains problems "HeadDim must be positive and even for RoPE (got 7)" "RoPE"
            Expect.stringContains problems "Dropout" "dropout"
        }

        test "a decoder-only config with encoder layers is rejected" {
            let bad = Presets.Micro.DecoderOnly.With(encoderLayers = 2)
            Expect.exists (bad.Problems()) (fun p -> p.Contains "EncoderLayers must be 0") "decoder-only has no encoder"
        }

        test "a model refuses an invalid config" {
            Expect.throwsT<ConfigException> (fun () -> new EncoderDecoderLM(Presets.Micro.EncDec.With(vocabSize = 0)) |> ignore) "vocab"
        }

        test "JSON round trip gives an equal config" {
            for c in Presets.All do Expect.equal (ModelConfig.FromJson(c.ToJson())) c c.Name
        }

        test "the JSON error names the file and the offending key" {
            let json = Presets.Micro.EncDec.ToJson().Replace("\"d_model\"", "\"d_modle\"")
            expectError<ConfigException> (fun () -> ModelConfig.FromJson(json, "cfg.json") |> ignore) [ "cfg.json"; "d_modle" ]
        }

        test "overrides change fields and recompute derived sizes" {
            let c = Presets.Micro.EncDec.WithOverrides(ModelConfig.ParseOverrides "heads=8,kv_heads=4,HeadDim=16")
            Expect.equal c.AttentionWidth 128 "8 x 16"
            Expect.equal c.KvWidth 64 "4 x 16"
            Expect.equal c.GroupSize 2 "8 / 4"
        }

        test "an unknown override key is an error listing the known keys" {
            expectError<ConfigException> (fun () -> Presets.Micro.EncDec.WithOverrides(ModelConfig.ParseOverrides "layers=3") |> ignore)
                [ "unknown config key 'layers'"; "encoder_layers" ]
        }

        test "an override of the wrong type is an error" {
            Expect.throwsT<ConfigException> (fun () -> Presets.Micro.EncDec.WithOverrides(ModelConfig.ParseOverrides "bias=maybe") |> ignore) "bool"
            Expect.throwsT<ConfigException> (fun () -> Presets.Micro.EncDec.WithOverrides(ModelConfig.ParseOverrides "heads=four") |> ignore) "number"
        }

        test "the released 330M config matches MuConfig" {
            let c = Presets.Paper330M.Released
            Expect.equal (c.EncoderLayers, c.DecoderLayers, c.DModel, c.AttentionWidth, c.Heads, c.KvHeads, c.MlpHidden, c.VocabSize, c.BlockSize)
                         (20, 10, 1024, 384, 6, 3, 4096, 32128, 1024) "released sizes"
            Expect.equal (ParameterCounts.Of c).Total 332_042_240L "closed-form count"
        }

        test "the paper's 330M split study is within 3% of 330M, with 44 and 48 layers" {
            for c in [ Presets.Paper330M.EncDec1_3; Presets.Paper330M.EncDec1_2; Presets.Paper330M.EncDec2_3; Presets.Paper330M.DecoderOnly ] do
                Expect.isTrue (within 3.0 330e6 (ParameterCounts.Of c).Total) $"{c.Name}: {(ParameterCounts.Of c).Total}"
                Expect.equal c.TotalLayers (if c.IsEncoderDecoder then 44 else 48) "layer budget of paper 3.1"
            Expect.equal (Presets.Paper330M.EncDec1_3.EncoderLayers, Presets.Paper330M.EncDec1_3.DecoderLayers) (12, 32) "1/3-2/3"
            Expect.equal (Presets.Paper330M.EncDec1_2.EncoderLayers, Presets.Paper330M.EncDec1_2.DecoderLayers) (22, 22) "1/2-1/2"
            Expect.equal (Presets.Paper330M.EncDec2_3.EncoderLayers, Presets.Paper330M.EncDec2_3.DecoderLayers) (32, 12) "2/3-1/3"
        }

        test "the 500M and 1B rungs are within 3% of their sizes and their decoder-only twins within 1%" {
            for (encdec, deconly, target) in [ Presets.Paper500M.EncDec2_3, Presets.Paper500M.DecoderOnly, 500e6
                                               Presets.Paper1B.EncDec2_3, Presets.Paper1B.DecoderOnly, 1e9 ] do
                let a, b = (ParameterCounts.Of encdec).Total, (ParameterCounts.Of deconly).Total
                Expect.isTrue (within 3.0 target a) $"{encdec.Name}: {a}"
                Expect.isTrue (within 1.0 (float a) b) $"{deconly.Name}: {b} vs {a}"
                Expect.equal (encdec.EncoderLayers, encdec.DecoderLayers) (2 * encdec.DecoderLayers, encdec.DecoderLayers) "2/3-1/3 split"
        }

        test "unknown presets are errors listing the known ones" {
            expectError<ConfigException> (fun () -> Presets.Get "nope" |> ignore) [ "unknown preset 'nope'"; "330m-encdec-2_3" ]
        }
    ]
