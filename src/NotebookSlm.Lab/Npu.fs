namespace NotebookSlm.Lab

open System.IO
open NotebookSlm.Benchmarks
open NotebookSlm.Corpora
open NotebookSlm.Data.Readers
open NotebookSlm.Models
open NotebookSlm.Tokenization

/// The NPU-ready export (paper 3.4's Hexagon row; issue 4 point 6): static-shape graphs with
/// QDQ quantization, their accuracy against fp32 and their speed on this CPU.
module Npu =
    let private log (s: string) = eprintfn "%s" s

    /// Real inputs: sum-local documents (man page DESCRIPTION sections, real text installed on
    /// every Debian machine) in the Phi-3.5 tokenizer, cut to the static prompt length.
    /// Calibration reads the train split, evaluation the test split: they never overlap.
    let prompts (promptLength: int) (calibrationCount: int) (evaluationCount: int) =
        let options = CorpusBuildOptions(Root = Profile.pick (Paths.artifacts (Path.Combine("smoke", "data"))) (Paths.artifacts "data"),
                                         Scale = Profile.pick 0.05 1.0)
        let folder = CorpusBuilder.Folder(options, "sum-local")
        if not (File.Exists(Path.Combine(folder, "test.jsonl"))) then CorpusBuilder.Build("sum-local", options, log) |> ignore
        let tokenizer = AutoTokenizer.Load "phi-3.5"
        let read split count =
            XsumJsonl.Read(Path.Combine(folder, split + ".jsonl"))
            |> Seq.map (fun e -> Array.append [| tokenizer.BosId |] (tokenizer.Encode e.Document))
            |> Seq.filter (fun ids -> ids.Length >= promptLength / 2)
            |> Seq.map (fun ids -> Array.truncate promptLength ids)
            |> Seq.truncate count
            |> Array.ofSeq
        read "train" calibrationCount, Array.append (read "test" evaluationCount) (read "val" evaluationCount) |> Array.truncate evaluationCount

    /// The pair studied: the paper's 330M 2/3-1/3 encoder-decoder and decoder-only (tiny in smoke),
    /// with the Phi-3.5 vocabulary of the prompts.
    let pair () =
        Profile.pick (Presets.Tiny.EncDec2_3.With(vocabSize = Presets.PhiVocab), Presets.Tiny.DecoderOnly.With(vocabSize = Presets.PhiVocab))
                     (Presets.Paper330M.EncDec2_3, Presets.Paper330M.DecoderOnly)

    let options () =
        Profile.pick (NpuStudyOptions(PromptLength = 64, OutputTokens = 16, CalibrationTokens = 4, AgreementTokens = 8, SpeedExamples = 1,
                                      WorkRoot = Paths.artifacts "onnx-static"))
                     (NpuStudyOptions(PromptLength = 512, OutputTokens = 128, CalibrationTokens = 8, AgreementTokens = 16, SpeedExamples = 3,
                                      WorkRoot = Paths.artifacts "onnx-static"))

    /// Runs the study for both models and writes the results file of this profile; returns its path.
    let run () =
        let o = options ()
        let calibration, evaluation = Profile.pick (prompts o.PromptLength 4 4) (prompts o.PromptLength 16 12)
        log $"NPU study: {calibration.Length} calibration and {evaluation.Length} evaluation prompts of up to {o.PromptLength} tokens"
        let encdec, deconly = pair ()
        let studies = [ for c in [ encdec; deconly ] -> NpuReadiness.Run(c, calibration, evaluation, o, System.Action<string>(log)) ]
        Results.write "npu" o.Threads
            {| options = o
               inputs = "sum-local documents (man page DESCRIPTION sections), Phi-3.5 tokenizer; calibration from train, evaluation from test/val"
               weights = "random (seeded): no trained checkpoint exists yet" |}
            {| studies = studies |}
