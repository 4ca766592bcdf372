// The paper in miniature: `dotnet fsi build.fsx quickstart` (smoke profile, a few minutes on a
// laptop CPU) or `... quickstart --profile full`.
//
// It runs the most complete pipeline the library has so far. Today that is:
//   0. the offline corpora from real local text and a local tokenizer (section 3.3's data),
//   1. the paper's 330M configurations and their analytic costs (section 3.1),
//   2. tiny encoder-decoder and decoder-only models at parameter parity, with the local
//      tokenizer's vocabulary, generating with the KV cache and with the released algorithm's
//      full recomputation, timed side by side,
//   3. pretraining of the tiny pair on edu-local at equal training tokens (span corruption for
//      the encoder-decoder, causal LM for the decoder-only; Muon, and AdamW and BF16 beside it),
//      fine-tuning on qa-local and scoring (ROUGE-L, SQuAD 2.0 EM/F1): TrainingStudy, the
//      study notebook 02 shows,
//   4. cross-architecture distillation (section 3.2): a decoder-only teacher with at least 4x
//      the parameters, tuned on qa-local, distilled into the 2/3-1/3 encoder-decoder over alpha,
//      KL direction and where the targets come from (Figure 5), and Table 1's KD rows:
//      KdAblation, the study notebook 05 shows,
//   5. comparison tables (Markdown) and figures, stamped with commit, profile and machine.
// Each study is a sweep whose finished cells are kept, so a second quickstart reuses them.

#load "common.fsx"

open System.IO
open NotebookSlm.Models
open NotebookSlm.Accounting
open NotebookSlm.Corpora
open NotebookSlm.Benchmarks
open NotebookSlm.Reporting
open NotebookSlm.Lab
open Plotly.NET

let profile = Profile.current ()
printfn "quickstart, profile %s" profile.Name

// ---- 0. data: the five corpora (5% of each in smoke) and a tokenizer trained on edu-local ----
let dataRoot = Profile.pick (Paths.artifacts (System.IO.Path.Combine("smoke", "data"))) (Paths.artifacts "data")
let dataOptions = CorpusBuildOptions(Root = dataRoot, Scale = Profile.pick 0.05 1.0)
let corpora = CorpusBuilder.Build("all", dataOptions, fun line -> printfn "%s" line)
let tokenizer = LocalTokenizer.Ensure(dataOptions, Profile.pick 2048 8192, fun line -> printfn "%s" line)
let dataTable = Table("corpus", "format", "train", "val", "test", "labels")
for m in corpora do dataTable.Add(m.Name, m.Format, m.Examples "train", m.Examples "val", m.Examples "test", System.String.Join("; ", m.Labels)) |> ignore
printfn "\n%s\nlocal tokenizer: %s (%d pieces)" (dataTable.ToText()) tokenizer.Path tokenizer.VocabSize

// ---- 1. the 330M study, analytically ----
let study = [ Presets.Paper330M.EncDec1_3; Presets.Paper330M.EncDec1_2; Presets.Paper330M.EncDec2_3; Presets.Paper330M.DecoderOnly ]
let costs =
    [ for c in study ->
        let m = CostModel c
        {| preset = c.Name; encoder_layers = c.EncoderLayers; decoder_layers = c.DecoderLayers; parameters = (ParameterCounts.Of c).Total
           first_token_gflop_512 = m.FirstTokenFlops 512 / 1e9; later_token_gflop = m.DecodeTokenFlops(512, 1) / 1e9
           bytes_per_token_bf16 = m.BytesPerDecodedToken(512, 1, 2) |} ]
let analytic = Table("preset", "enc/dec", "parameters", "first-token GFLOP (512 in)", "GFLOP per later token", "MiB read per token (bf16)")
for c in costs do
    analytic.Add(c.preset, $"{c.encoder_layers}/{c.decoder_layers}", Table.Count c.parameters, $"{c.first_token_gflop_512:F1}",
                 $"{c.later_token_gflop:F3}", $"{c.bytes_per_token_bf16 / 1048576.0:F0}") |> ignore
printfn "\n%s" (analytic.ToText())

// ---- 2. tiny models, timed ----
let input, newTokens, repeats = Profile.pick (64, 32, 1) (256, 64, 3)
let tiny = [ Presets.Tiny.EncDec2_3.With(vocabSize = tokenizer.VocabSize); Presets.Tiny.DecoderOnly.With(vocabSize = tokenizer.VocabSize) ]
let timings =
    [ for c in tiny ->
        printfn "timing %s: input %d, %d new tokens, %d repeat(s)" c.Name input newTokens repeats
        GenerationBench.Run(c, input, newTokens, repeats = repeats) ]
let measured = Table("preset", "parameters", "first token ms (cached)", "tok/s cached", "tok/s recompute", "cache speed-up", "same tokens")
for r in timings do
    measured.Add(r.Preset, $"{float r.Parameters / 1e6:F1}M", $"{r.Cached.FirstTokenMs:F1}", $"{r.Cached.DecodeTokensPerSecond:F0}",
                 $"{r.Recompute.DecodeTokensPerSecond:F0}", $"{r.DecodeSpeedup:F1}x", (if r.SameTokens then "yes" else "NO")) |> ignore
printfn "\n%s" (measured.ToText())

// ---- 3. pretraining, fine-tuning, scores ----
TrainingStudy.run () |> ignore
let training = Results.read "training"
let trainingReport = Render.Training.blocks training
printfn "\n%s" (Report.text trainingReport)
let curvesPng =
    Charts.save "quickstart-pretraining-loss"
        (TrainingStudy.curves training "pretraining" [] $"Pretraining on edu-local, tiny models ({profile.Name})")

// ---- 4. distillation: Figure 5 and Table 1's KD rows ----
KdAblation.run "local" |> ignore
let distillation = Results.read "kd-ablation"
let distillationReport = Render.KdAblation.blocks distillation
printfn "\n%s" (Report.text distillationReport)
let figure5Png = Charts.save "quickstart-figure5" (Figures.figure5 distillation)

// ---- 5. tables, figures, results ----
let figure =
    timings
    |> List.map (fun r ->
        Chart.Column(Keys = [ "KV cache"; "recompute (released)" ],
                     values = [ r.Cached.DecodeTokensPerSecond; r.Recompute.DecodeTokensPerSecond ], Name = r.Preset))
    |> Chart.combine
    |> Chart.withYAxisStyle "decode tokens / s"
    |> Chart.withTitle $"Tiny models, input {input}, {newTokens} new tokens ({profile.Name})"
let png = Charts.save "quickstart-decode" figure

let results =
    Results.write "quickstart" (TorchSharp.torch.get_num_threads ())
        {| input_tokens = input; new_tokens = newTokens; repeats = repeats; scale = dataOptions.Scale |}
        {| corpora = [ for m in corpora -> {| name = m.Name; format = m.Format; train = m.Examples "train"; validation = m.Examples "val";
                                               test = m.Examples "test"; labels = m.Labels |} ]
           tokenizer = {| path = tokenizer.Path; vocab = tokenizer.VocabSize |}; analytic = costs; timings = timings |}
let summary = Path.Combine(Path.GetDirectoryName results, "quickstart.md")
File.WriteAllText(summary,
    $"# Quickstart ({profile.Name})\n\n{Stamp.text ()}\n\n## Data\n\n{dataTable.ToMarkdown()}\nLocal tokenizer: {tokenizer.VocabSize} pieces.\n\n"
    + $"## 330M configurations (analytic)\n\n{analytic.ToMarkdown()}\n"
    + $"## Tiny models, measured\n\n{measured.ToMarkdown()}\n![decode speed]({png})\n\n"
    + $"## Pretraining, fine-tuning and scores\n\n{Report.markdown trainingReport}\n\n![pretraining loss]({curvesPng})\n\n"
    + $"## Distillation\n\n{Report.markdown distillationReport}\n\n![Figure 5]({figure5Png})\n")
printfn "\nwrote %s\nwrote %s\nwrote %s\nwrote %s\nwrote %s" results summary png curvesPng figure5Png
