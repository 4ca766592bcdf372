namespace NotebookSlm.Lab

open System
open System.IO
open Plotly.NET
open NotebookSlm.Corpora
open NotebookSlm.Data
open NotebookSlm.Data.Readers
open NotebookSlm.Models
open NotebookSlm.Tokenization
open NotebookSlm.Training

/// Pretraining and fine-tuning both architectures on the local data, then scoring them (paper
/// 3.3; issue 10 points 9 and 10): what the quickstart's training stage and notebook 02 run.
/// Four pretraining runs on edu-local at equal training tokens: the tiny 2/3-1/3 encoder-decoder
/// (span corruption) and the tiny decoder-only (causal LM), both with Muon in fp32, and the
/// encoder-decoder again with AdamW and in BF16; then each Muon fp32 model fine-tuned on qa-local
/// and scored on its validation split (ROUGE-L and SQuAD 2.0 EM/F1).
module TrainingStudy =
    let private log (s: string) = eprintfn "%s" s

    /// One curve point in at most this many (the results file keeps curves, not every step).
    let private curvePoints = 200

    type Sizes =
        { PretrainSteps: int; FinetuneSteps: int; MicroBatch: int; InputLength: int; MaxSource: int; MaxTarget: int
          Documents: int; EvalExamples: int; MaxNewTokens: int; Vocab: int }

    let sizes () =
        Profile.pick
            { PretrainSteps = 30; FinetuneSteps = 30; MicroBatch = 4; InputLength = 64; MaxSource = 192; MaxTarget = 24
              Documents = 400; EvalExamples = 16; MaxNewTokens = 16; Vocab = 2048 }
            { PretrainSteps = 600; FinetuneSteps = 300; MicroBatch = 8; InputLength = 128; MaxSource = 384; MaxTarget = 32
              Documents = 20000; EvalExamples = 200; MaxNewTokens = 24; Vocab = 8192 }

    let dataOptions () =
        CorpusBuildOptions(Root = Profile.pick (Paths.artifacts (Path.Combine("smoke", "data"))) (Paths.artifacts "data"), Scale = Profile.pick 0.05 1.0)

    /// Builds a corpus of this profile unless its manifest is there already.
    let ensureCorpus (name: string) =
        let o = dataOptions ()
        if not (File.Exists(Path.Combine(CorpusBuilder.Folder(o, name), Manifest.FileName))) then CorpusBuilder.Build(name, o, Action<string>(log)) |> ignore

    /// The local corpora (edu-local, qa-local) and the tokenizer's path, built on first use.
    let tokenizerPath () =
        let t = LocalTokenizer.Ensure(dataOptions (), (sizes ()).Vocab, Action<string>(log))
        for corpus in [ CorpusBuilder.EduLocal; "qa-local" ] do ensureCorpus corpus
        t.Path

    let tokenizer () = AutoTokenizer.Load(tokenizerPath ())

    /// The paper's recipe with a short run's warmup and a rate that moves a tiny model in a few
    /// hundred steps.
    let baseConfig (s: Sizes) (steps: int) =
        TrainingConfig(Steps = steps, WarmupSteps = max 2 (steps / 10), Lr = 1e-3, MicroBatch = s.MicroBatch, GlobalBatch = s.MicroBatch * 2,
                       InputLength = s.InputLength, MaxSourceLength = s.MaxSource, MaxTargetLength = s.MaxTarget,
                       EvalEvery = max 5 (steps / 5), EvalBatches = 4, Samples = 1, CheckpointEvery = steps, KeepLast = 1, Seed = 1)

    type Run =
        { Name: string; Preset: string; Architecture: string; Parameters: int64; Objective: string; Optimizer: string; Precision: string
          Steps: int; SourceTokens: int64; TargetTokens: int64; Seconds: float; TokensPerSecond: float; FinalLoss: float
          BestValLoss: float; Curve: float[][] }

    let private thin (losses: (int * float) list) =
        let every = max 1 (losses.Length / curvePoints)
        [| for i, (step, loss) in List.indexed losses do
             if i % every = 0 || i = losses.Length - 1 then yield [| float step; loss |] |]

    /// Trains model on pairs into a fresh run folder; returns the run's record.
    let train (name: string) (model: ILanguageModel) (tok: ITokenizer) (config: TrainingConfig) (pairs: ResizeArray<TokenizedPair>)
              (validation: ResizeArray<TokenizedPair>) =
        let dir = Path.Combine(Paths.artifacts (Profile.pick (Path.Combine("smoke", "runs")) "runs"), name)
        if Directory.Exists dir then Directory.Delete(dir, true)
        log $"train {name}: {model.Config.Name}, {config.Objective}, {config.Optimizer}, {config.Precision}, {config.Steps} steps of {config.GlobalBatch}"
        let trainer = Trainer(model, config, tok, pairs, validation, dir, TensorBoard = false, OnMessage = Action<string>(fun m -> if m.StartsWith "checkpoint" then () else log m))
        let s = trainer.Run()
        let losses = MetricsLog.ReadLosses(Path.Combine(dir, "metrics.jsonl")) |> Seq.map (fun struct (step, loss) -> step, loss) |> List.ofSeq
        { Name = name; Preset = model.Config.Name; Architecture = string model.Config.Architecture
          Parameters = NotebookSlm.Accounting.ParameterCounts.Of(model.Config).Total; Objective = string config.Objective
          Optimizer = (string config.Optimizer).ToLowerInvariant(); Precision = (string config.Precision).ToLowerInvariant(); Steps = s.Steps
          SourceTokens = s.SourceTokens; TargetTokens = s.TargetTokens; Seconds = s.TrainSeconds
          TokensPerSecond = float (s.SourceTokens + s.TargetTokens) / s.TrainSeconds; FinalLoss = s.FinalLoss; BestValLoss = s.BestValLoss
          Curve = thin losses },
        s

    type Scores =
        { Run: string; Task: string; Examples: int; Rouge1: float; Rouge2: float; RougeL: float; SquadExact: float; SquadF1: float
          GenerationSeconds: float; Samples: Prediction list }

    /// Greedy, KV-cached generation over the first examples of the task's validation split, scored.
    let evaluate (run: string) (model: ILanguageModel) (tok: ITokenizer) (taskDir: string) (s: Sizes) =
        let pairs = CorpusSplits.Pairs(taskDir, "val") |> Seq.truncate s.EvalExamples |> Array.ofSeq
        let m = Manifest.Read taskDir
        let qa = if m.Format = "squad" then Some(Tasks.QaReferences(SquadJson.Read(m.SplitPath(taskDir, "val")))) else None
        let struct (predictions, seconds, tokens) = TaskEvaluation.Predict(model, tok, pairs, 16, s.MaxNewTokens, s.MaxSource)
        let scores = TaskEvaluation.Score(predictions, Option.toObj qa, false, seconds, tokens)
        { Run = run; Task = m.Name; Examples = scores.Examples; Rouge1 = 100.0 * scores.Rouge.Rouge1.FMeasure; Rouge2 = 100.0 * scores.Rouge.Rouge2.FMeasure
          RougeL = 100.0 * scores.Rouge.RougeL.FMeasure
          SquadExact = (match scores.Squad with null -> nan | q -> q.All.Exact); SquadF1 = (match scores.Squad with null -> nan | q -> q.All.F1)
          GenerationSeconds = seconds; Samples = predictions |> Seq.truncate 3 |> List.ofSeq }

    /// Runs the study and writes this profile's "training" results; returns the path.
    let run () =
        let s = sizes ()
        let tok = tokenizer ()
        let o = dataOptions ()
        let edu, qa = CorpusBuilder.Folder(o, CorpusBuilder.EduLocal), CorpusBuilder.Folder(o, "qa-local")
        let documents split n = CorpusSplits.Documents(edu, split) |> Seq.truncate n |> List.ofSeq
        let trainDocs, valDocs = documents "train" s.Documents, documents "val" (max 20 (s.Documents / 50))
        let pretrain (name: string) (preset: ModelConfig) (optimizer: OptimizerKind) (precision: Precision) =
            let c = preset.ForTokenizer tok
            let config = (baseConfig s s.PretrainSteps).With(objective = (if c.IsEncoderDecoder then Objective.SpanCorruption else Objective.CausalLm),
                                                            optimizer = optimizer, precision = precision)
            let model = LanguageModel.Create(c, 1L)
            let pairs = TrainingData.Pretraining(trainDocs, tok, config)
            let validation = TrainingData.Pretraining(valDocs, tok, config)
            let r, _ = train name model tok config pairs validation
            r, model
        let encdec, encdecModel = pretrain "pretrain-encdec-muon" Presets.Tiny.EncDec2_3 OptimizerKind.Muon Precision.Fp32
        let deconly, deconlyModel = pretrain "pretrain-deconly-muon" Presets.Tiny.DecoderOnly OptimizerKind.Muon Precision.Fp32
        let adamw, _ = pretrain "pretrain-encdec-adamw" Presets.Tiny.EncDec2_3 OptimizerKind.AdamW Precision.Fp32
        let bf16, _ = pretrain "pretrain-encdec-bf16" Presets.Tiny.EncDec2_3 OptimizerKind.Muon Precision.Bf16
        let finetune (name: string) (model: ILanguageModel) =
            let config = baseConfig s s.FinetuneSteps
            let pairs = TrainingData.FineTuning(CorpusSplits.Pairs(qa, "train"), tok, config)
            let validation = TrainingData.FineTuning(CorpusSplits.Pairs(qa, "val") |> Seq.truncate 64, tok, config)
            let r, _ = train name model tok config pairs validation
            r, evaluate name model tok qa s
        let tuned = [ finetune "finetune-encdec-qa" encdecModel; finetune "finetune-deconly-qa" deconlyModel ]
        Results.write "training" (TorchSharp.torch.get_num_threads ())
            {| sizes = s; tokenizer = tok.Name; pretraining_corpus = "edu-local"; task = "qa-local"
               recipe = "paper 3.3 (Muon, warmup then cosine, accumulation 2, clipping 1.0) with lr 1e-3 and a tenth of the steps as warmup for short runs" |}
            {| pretraining = [ encdec; deconly; adamw; bf16 ]; finetuning = [ for r, _ in tuned -> r ]; evaluation = [ for _, e in tuned -> e ] |}

    /// Loss curves of the given runs (by name) from a training results file.
    let curves (d: NotebookSlm.Reporting.ResultsDocument) (section: string) (names: string list) (title: string) =
        [ for r in Json.items d.Results [ section ] do
            let name = Json.text r [ "name" ]
            if List.isEmpty names || List.contains name names then
                let points = Json.items r [ "curve" ] |> List.map (fun p -> Json.items p [] |> List.map (fun v -> v.GetDouble()))
                yield Chart.Line(x = (points |> List.map (fun p -> p[0])), y = (points |> List.map (fun p -> p[1])), Name = name) ]
        |> Chart.combine
        |> Chart.withXAxisStyle "step"
        |> Chart.withYAxisStyle "training loss"
        |> Chart.withTitle title
