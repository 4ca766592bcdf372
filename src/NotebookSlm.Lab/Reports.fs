namespace NotebookSlm.Lab

open System
open System.Text.Json
open NotebookSlm.Accounting
open NotebookSlm.Benchmarks
open NotebookSlm.Reporting

/// A piece of a rendered report: prose (Markdown inline code allowed) or a table.
type Block =
    | Prose of string
    | Grid of Table

/// The two renderings of a report: Markdown for the README, HTML for notebooks
/// (docs/architecture.md, "Results").
module Report =
    let markdown (blocks: Block list) =
        blocks |> List.map (function Prose s -> s | Grid t -> t.ToMarkdown().TrimEnd()) |> String.concat "\n\n"

    /// `code` becomes <code>code</code>; everything else is escaped.
    let private inline' (s: string) =
        s.Split('`') |> Array.mapi (fun i part -> let e = Net.WebUtility.HtmlEncode part in if i % 2 = 1 then $"<code>{e}</code>" else e) |> String.concat ""

    let html (blocks: Block list) =
        blocks |> List.map (function Prose s -> $"<p>{inline' s}</p>" | Grid t -> Tables.html t) |> String.concat "\n"

    /// Plain text for terminals (experiment scripts print their report so).
    let text (blocks: Block list) =
        blocks |> List.map (function Prose s -> s | Grid t -> t.ToText().TrimEnd()) |> String.concat "\n\n"

/// Reading the untyped parts of results files.
module Json =
    let at (e: JsonElement) (path: string list) = path |> List.fold (fun (x: JsonElement) (p: string) -> x.GetProperty p) e
    let num e path = (at e path).GetDouble()
    let text e path = (at e path).GetString()
    let items e path = [ for x in (at e path).EnumerateArray() -> x ]
    /// A typed view of part of a results file (the records the study wrote).
    let typed<'T> (e: JsonElement) = e.Deserialize<'T>(ResultsFile.Json)

/// One renderer per study. Each takes the study's results file and returns blocks; the README
/// section and the notebook cells both come from these, so a number is formatted once.
module Render =
    open Json

    let private pct (x: float) = sprintf "%.0f%%" (100.0 * x)

    /// A model's answer as prose quotes it: cut at 60 characters; the empty answer named.
    let private shown (a: string) = if a = "" then "the empty string" elif a.Length > 60 then $"\"{a[..59]}...\"" else $"\"{a}\""

    /// The one text that all of a score row's sampled outputs are, if they are one: a model that
    /// gives one answer to every sampled example has learned a constant answer.
    let private constantAnswer (row: Text.Json.Nodes.JsonNode) =
        match [ for x in row["samples"].AsArray() -> x["output"].GetValue<string>() ] |> List.distinct with
        | [ only ] -> Some only
        | _ -> None

    /// Constant answers as prose lists them: each once, with how many models gave it.
    let private answerCounts (answers: string list) =
        String.Join(", ", [ for a, n in List.countBy id answers -> sprintf "%s (%d)" (shown a) n ])

    /// The finished cells of a study's sweep in this profile (none when it has not run here), read
    /// for what the aggregated results leave out (the sampled outputs).
    let private sweepCells (name: string) =
        let folder = Sweeping.dirNamed name
        if IO.File.Exists(IO.Path.Combine(folder, "sweep.json")) then Sweeping.results (NotebookSlm.Sweeps.SweepStore.Open folder) else []

    /// The paper's Table 1 model and group for each of our tiny presets.
    let private paperModel (preset: string) =
        match preset with
        | "tiny-deconly" -> "decoder-only", "decoder-only"
        | "tiny-encdec-1_3" -> "1/3-2/3", "encoder-decoder"
        | "tiny-encdec-1_2" -> "1/2-1/2", "encoder-decoder"
        | "tiny-encdec-2_3" -> "2/3-1/3", "encoder-decoder"
        | other -> failwith $"no Table 1 row stands for preset '{other}'"

    /// "Measured by `command` at commit `abc`, profile `full`, on CPU (2 cores), utc; 2 threads,
    /// TorchSharp 0.107.0 (libtorch 2.10.0), ONNX Runtime 1.31.1, .NET 10.0.1."
    let stamp (command: string) (d: ResultsDocument) =
        let r = d.Run
        let commit = if r.Commit.Length > 10 then r.Commit[..9] else r.Commit
        let l = r.Libraries
        $"Measured by `{command}` at commit `{commit}`, profile `{r.Profile}`, on {r.Machine.Cpu} ({r.Machine.Cores} cores), {r.Utc}; "
        + $"{r.Threads} threads, TorchSharp {l.TorchSharp} (libtorch {l.LibTorch}), ONNX Runtime {l.OnnxRuntime}, .NET {l.DotNet}."

    /// The preset table (no results file: it is computed from the presets themselves).
    let presets () = [ Grid(ParameterCounts.PresetTable NotebookSlm.Models.Presets.All) ]

    let benchGenerate (d: ResultsDocument) =
        let rows = typed<GenerationBenchResult list> (at d.Results [ "rows" ])
        [ Grid(GenerationBench.Table rows)
          Prose(stamp "dotnet fsi build.fsx bench" d
                + sprintf " Weights %s, random (seeded); %.0f repeats, batch %.0f." (text d.Parameters [ "dtype" ]) (num d.Parameters [ "repeats" ]) (num d.Parameters [ "batch" ])) ]

    module Data =
        /// One row per corpus: splits, sizes in Phi-3.5 tokens and in the local tokenizer's.
        let corpora (d: ResultsDocument) =
            let tokenizer = at d.Results [ "tokenizer" ]
            let t = Table("corpus", "format", "train", "val", "test", "train tokens (Phi-3.5)", "mean in / out (Phi-3.5)",
                          $"""train tokens ({text tokenizer [ "name" ]})""", "labels")
            for c in items d.Results [ "corpora" ] do
                let total (k: string) = num c [ k; "source" ] + num c [ k; "target" ]
                let train = num c [ "train" ]
                let meanIn, meanOut = num c [ "phi_tokens"; "source" ] / train, num c [ "phi_tokens"; "target" ] / train
                t.Add(text c [ "name" ], text c [ "format" ], train, num c [ "validation" ], num c [ "test" ], sprintf "%.2fM" (total "phi_tokens" / 1e6),
                      (if text c [ "format" ] = "documents" then sprintf "%.0f / -" meanIn else sprintf "%.0f / %.0f" meanIn meanOut),
                      sprintf "%.2fM" (total "local_tokens" / 1e6), String.Join("; ", [ for l in items c [ "labels" ] -> l.GetString() ])) |> ignore
            t

        /// One row per package read: its version, licence and which corpora read it.
        let packages (d: ResultsDocument) =
            let users = Collections.Generic.SortedDictionary<string, string * string * Collections.Generic.SortedSet<string>>(StringComparer.Ordinal)
            for c in items d.Results [ "corpora" ] do
                for s in items c [ "sources" ] do
                    let key = text s [ "package" ]
                    if not (users.ContainsKey key) then users[key] <- (text s [ "version" ], text s [ "licence" ], Collections.Generic.SortedSet<string>())
                    let _, _, readers = users[key]
                    readers.Add(text c [ "name" ]) |> ignore
            let t = Table("package", "version", "licence", "read by")
            for KeyValue(p, (v, l, readers)) in users do t.Add($"`{p}`", v, l, String.Join(", ", readers)) |> ignore
            t

        let blocks (d: ResultsDocument) =
            let times = [ for c in items d.Results [ "corpora" ] -> sprintf "%s %.0f s" (text c [ "name" ]) (num c [ "build_seconds" ]) ]
            let tokenizer = at d.Results [ "tokenizer" ]
            [ Grid(corpora d)
              Prose(sprintf "Build times (recipes only, packages already installed): %s; the %.0f-piece tokenizer trained in %.0f s. "
                        (String.Join(", ", times)) (num tokenizer [ "vocab" ]) (num tokenizer [ "train_seconds" ])
                    + stamp "dotnet fsi build.fsx data --profile full" d)
              Grid(packages d) ]

    module Efficiency =
        let private rows (d: ResultsDocument) = items d.Results [ "table2" ]

        let private statsCell (r: JsonElement) (k: string) (digits: int) =
            let f (x: float) = Math.Round(x, digits).ToString(Globalization.CultureInfo.InvariantCulture)
            sprintf "%s / %s / %s" (f (num r [ k; "mean" ])) (f (num r [ k; "median" ])) (f (num r [ k; "p90" ]))

        /// Table 2 on this machine: every backend and weight format, with the roofline.
        let table2 (d: ResultsDocument) =
            let t = Table("model", "backend", "weights", "first token ms (mean / median / p90)", "decode tok/s (mean / median / p90)",
                          "bytes / token", "ceiling tok/s", "of bandwidth ceiling", "first token: of compute")
            for r in rows d do
                t.Add(text r [ "preset" ], text r [ "backend" ], text r [ "weights" ], statsCell r "first_token_ms" 0, statsCell r "decode_tokens_per_s" 1,
                      sprintf "%.0f MiB" (num r [ "roofline"; "bytes_per_token" ] / 1048576.0), sprintf "%.1f" (num r [ "roofline"; "ceiling_tokens_per_s" ]),
                      pct (num r [ "roofline"; "fraction_of_ceiling" ]), pct (num r [ "roofline"; "fraction_of_compute" ])) |> ignore
            t

        /// Encoder-decoder against decoder-only per backend: measured, predicted, and the paper's CPU ratios.
        let ratios (d: ResultsDocument) =
            let t = Table("encoder-decoder against decoder-only", "throughput ratio", "first-token reduction", "predicted by bytes per token", "fewer first-token FLOPs")
            let pick backend weights arch =
                rows d |> List.find (fun x -> text x [ "architecture" ] = arch && text x [ "backend" ] = backend && text x [ "weights" ] = weights)
            for backend, weights in [ "OnnxCpu", "fp32"; "OnnxCpu", "int4"; "TorchSharp", "fp32" ] do
                let e, dec = pick backend weights "EncoderDecoder", pick backend weights "DecoderOnly"
                t.Add($"{backend} {weights}", sprintf "%.2fx" (num e [ "decode_tokens_per_s"; "mean" ] / num dec [ "decode_tokens_per_s"; "mean" ]),
                      pct (1.0 - num e [ "first_token_ms"; "mean" ] / num dec [ "first_token_ms"; "mean" ]),
                      sprintf "%.2fx" (num dec [ "roofline"; "bytes_per_token" ] / num e [ "roofline"; "bytes_per_token" ]),
                      pct (1.0 - num e [ "roofline"; "first_token_gflop" ] / num dec [ "roofline"; "first_token_gflop" ])) |> ignore
            let cpu = Paper.Table2.Row("CPU", "EncoderDecoder").Hardware
            t.Add($"paper, CPU ({cpu})", sprintf "%.1fx" (Paper.Table2.ThroughputRatio "CPU"), pct (Paper.Table2.FirstTokenReduction "CPU"), "", "") |> ignore
            t

        /// The paper's Table 2, all platforms.
        let paperTable2 () =
            let t = Table("platform", "hardware", "model", "first token ms", "tok/s")
            for r in Paper.Table2.Rows do t.Add(r.Platform, r.Hardware, r.Architecture, r.FirstTokenMs, r.TokensPerS) |> ignore
            t

        /// The analytic memory and FLOPs claims beside the paper's.
        let claims (d: ResultsDocument) =
            let a = at d.Results [ "analytic" ]
            let m, g, s, gap = Paper.MemorySaving, Paper.GenerationFlopsShare, Paper.TrainingFlopsShare, Paper.TrainingFlopsGap
            let paperRange = sprintf "%.0f-%.0f%%" (100.0 * m.Low) (100.0 * m.High)
            let t = Table("claim (330M, analytic)", "ours", "paper", "paper's source")
            t.Add($"inference memory saving, input {m.InputTokens}, batch {m.Batch}, 256 tokens, fp32", pct (num a [ "memory_fp32"; "saving" ]), paperRange, m.Source)
             .Add($"inference memory saving, same, bf16", pct (num a [ "memory_bf16"; "saving" ]), paperRange, m.Source)
             .Add($"FLOPs to generate {g.OutputTokens} tokens after {g.InputTokens} input tokens, enc-dec / dec-only", pct (num a [ "generation_flops_share_4096_256" ]), pct g.Value, g.Source)
             .Add($"training FLOPs, {s.InputTokens}-token inputs, 256-token outputs, enc-dec / dec-only", pct (num a [ "training_flops_share_1024_256" ]), pct s.Value, s.Source)
             .Add($"training FLOPs gap, {gap.InputTokens}-token inputs", sprintf "%.1fx" (num a [ "training_flops_gap_4096_256" ]), sprintf "%.1fx" gap.Value, gap.Source) |> ignore
            t

        /// Measured peak memory of the pair at one batch, with the analytic estimate beside it.
        let memory (d: ResultsDocument) =
            let peaks = at d.Results [ "memory_summary" ]
            let t = Table("measured peak memory (ONNX Runtime fp32)", "batch", "input", "output", "peak MiB", "before generation MiB", "analytic MiB (weights, caches, encoder states)")
            // The study writes the pair's peaks in its order: encoder-decoder, then decoder-only.
            for m, analytic in Seq.zip (items d.Results [ "memory" ]) [ "encoder_decoder_analytic_mib"; "decoder_only_analytic_mib" ] do
                t.Add(text m [ "preset" ], num m [ "batch" ], num m [ "input_tokens" ], num m [ "output_tokens" ],
                      sprintf "%.0f" (num m [ "peak_mib" ]), sprintf "%.0f" (num m [ "baseline_mib" ]), sprintf "%.0f" (num peaks [ analytic ])) |> ignore
            t

        let memorySummary (d: ResultsDocument) =
            let peaks = at d.Results [ "memory_summary" ]
            let m = Paper.MemorySaving
            sprintf "Measured at batch %.0f: the encoder-decoder peaks %.0f%% lower than the decoder-only (%.0f%% lower counting only what generation adds to the loaded process); the paper: %.0f-%.0f%% at batch %d (%s). Tried: %s."
                (num peaks [ "batch" ]) (100.0 * num peaks [ "saving" ]) (100.0 * num peaks [ "saving_above_baseline" ])
                (100.0 * m.Low) (100.0 * m.High) m.Batch m.Source (String.Join("; ", [ for t in items peaks [ "tried" ] -> t.GetString() ]))

        let protocol (d: ResultsDocument) =
            let p = d.Parameters
            sprintf "Table 2 rows are means over %.0f examples for ONNX Runtime and %.0f for TorchSharp (the paper: %d); each row's bandwidth ceiling comes from a probe run right before it (read bandwidth %s GB/s)."
                (num p [ "table2_examples" ]) (num p [ "table2_torchsharp_examples" ]) Paper.Table2.Examples
                (String.Join(", ", [ for x in items d.Results [ "table2_probes" ] -> sprintf "%.1f" (num x [ "read_gb_per_s" ]) ]))

        let machine (d: ResultsDocument) =
            let m = at d.Results [ "machine" ]
            sprintf "Machine ceilings: read bandwidth %.1f GB/s (best at %.0f read streams per thread), matmul %.0f GFLOP/s, %.0f threads."
                (num m [ "read_gb_per_s" ]) (num m [ "read_streams" ]) (num m [ "matmul_gflops" ]) (num m [ "threads" ])

        let blocks (d: ResultsDocument) =
            [ Grid(table2 d); Grid(ratios d); Grid(claims d); Grid(memory d); Prose(memorySummary d); Prose(protocol d)
              Prose(stamp "dotnet fsi build.fsx efficiency --profile full" d + " " + machine d) ]

    module Npu =
        let variants (d: ResultsDocument) =
            let t = Table("model", "quantization", "weights MiB", "top-1 agreement (forced)", "greedy token agreement", "exact greedy sequences",
                          "mean relative logit error", "CPU first token ms", "CPU decode tok/s")
            for s in items d.Results [ "studies" ] do
                for v in items s [ "variants" ] do
                    t.Add(text s [ "preset" ], text v [ "quantization" ], sprintf "%.0f" (num v [ "weight_bytes" ] / 1048576.0),
                          sprintf "%.1f%%" (100.0 * num v [ "top1_agreement_forced" ]), sprintf "%.1f%%" (100.0 * num v [ "greedy_token_agreement" ]),
                          pct (num v [ "greedy_exact_sequences" ]), sprintf "%.4f" (num v [ "mean_relative_logit_error" ]),
                          sprintf "%.0f" (num v [ "first_token_ms"; "mean" ]), sprintf "%.1f" (num v [ "decode_tokens_per_s"; "mean" ])) |> ignore
            t

        let protocol (d: ResultsDocument) =
            let first = (items d.Results [ "studies" ]).Head
            sprintf "Prompts of %.0f tokens (%.0f calibration, %.0f evaluation; %.0f quantization points in %s), %.0f output tokens timed; %s."
                (num first [ "prompt_length" ]) (num first [ "calibration_prompts" ]) (num first [ "evaluation_prompts" ])
                (num first [ "quantization_points" ]) (text first [ "preset" ]) (num first [ "output_tokens" ]) (text d.Parameters [ "weights" ])

        let blocks (d: ResultsDocument) =
            [ Grid(variants d); Prose(protocol d + " " + stamp "dotnet fsi build.fsx npu --profile full" d) ]

    module TrainBench =
        let rows (d: ResultsDocument) = typed<TrainBenchRow list> (at d.Results [ "rows" ])

        /// The bar of issue 10: fp32 at >= 70% and bf16 at >= 50% of the same run's matmul peak,
        /// on the tiny presets.
        let barOf (r: TrainBenchRow) = if r.Precision = "bf16" then 0.5 else 0.7

        let isTiny (r: TrainBenchRow) = r.Preset.StartsWith "tiny-"
        let isPlain (r: TrainBenchRow) = isNull r.Distill || r.Distill = "none"

        let table (d: ResultsDocument) =
            let t = Table("preset", "optimizer", "precision", "params", "steps (timed)", "step ms (median / p90)", "tokens/s", "model GFLOP/s",
                          "matmul peak GFLOP/s", "MFU", "bar", "resident MiB (step / last step / end of run)", "loss (first / final)")
            for r in rows d |> List.filter isPlain do
                let bar = if isTiny r then (if r.Mfu >= barOf r then $"met (>= {pct (barOf r)})" else $"not met (>= {pct (barOf r)})") else "-"
                t.Add(r.Preset, r.Optimizer, r.Precision, sprintf "%.1fM" (float r.Parameters / 1e6), $"{r.Steps} ({r.TimedSteps})",
                      sprintf "%.1f / %.1f" r.StepMsMedian r.StepMsP90, sprintf "%.0f" r.TokensPerSecond, sprintf "%.1f" r.AchievedGflops,
                      sprintf "%.1f" r.PeakGflops, pct r.Mfu, bar, sprintf "%.0f (%d) / %s / %.0f" r.RssMiBAtMemoryStep r.MemoryStep (if Double.IsNaN r.RssMiBAtLastStep then "-" else sprintf "%.0f" r.RssMiBAtLastStep) r.RssMiBAtEnd,
                      sprintf "%.3f / %.3f" r.FirstLoss r.FinalLoss) |> ignore
            t

        /// BF16 against fp32 for each preset: the step speed-up and how far the loss curves part
        /// (same seed, same data; the largest gap over all steps and the mean gap over the last tenth).
        let bf16 (d: ResultsDocument) =
            let t = Table("preset", "optimizer", "bf16 speed-up (fp32 ms / bf16 ms)", "largest |loss gap|", "mean |loss gap|, last 10% of the steps both ran")
            let all = rows d |> List.filter isPlain
            for r in all |> List.filter (fun r -> r.Precision = "fp32") do
                match all |> List.tryFind (fun b -> b.Preset = r.Preset && b.Optimizer = r.Optimizer && b.Precision = "bf16") with
                | Some b ->
                    let gaps = Seq.map2 (fun (x: float) (y: float) -> abs (x - y)) r.Losses b.Losses |> Array.ofSeq
                    let tail = gaps |> Array.skip (gaps.Length - max 1 (gaps.Length / 10))
                    t.Add(r.Preset, r.Optimizer, sprintf "%.2fx" (r.StepMsMedian / b.StepMsMedian), sprintf "%.4f" (Array.max gaps), sprintf "%.4f" (Array.average tail)) |> ignore
                | None -> ()
            t

        /// Issue 12 point 8: the distillation step against the same student's plain fine-tuning step
        /// (same preset, optimizer, precision and lengths), the teacher run every step or read from
        /// its cache.
        let distillation (d: ResultsDocument) =
            let t = Table("student", "optimizer", "precision", "teacher params", "fine-tune step ms", "distill step ms, teacher every step",
                          "distill step ms, cached logits", "cache filled in s")
            let all = rows d
            for r in all |> List.filter isPlain do
                let kd mode = all |> List.tryFind (fun k -> k.Distill = mode && k.Preset = r.Preset && k.Optimizer = r.Optimizer && k.Precision = r.Precision)
                match kd "teacher", kd "cached" with
                | None, None -> ()
                | live, cached ->
                    let ms (k: TrainBenchRow option) =
                        k |> Option.map (fun k -> sprintf "%.1f (%.2fx)" k.StepMsMedian (k.StepMsMedian / r.StepMsMedian)) |> Option.defaultValue "-"
                    let teacherParams = [ live; cached ] |> List.choose id |> List.head |> fun k -> k.TeacherParameters
                    t.Add(r.Preset, r.Optimizer, r.Precision, sprintf "%.1fM (%.1fx)" (float teacherParams / 1e6) (float teacherParams / float r.Parameters),
                          sprintf "%.1f" r.StepMsMedian, ms live, ms cached,
                          cached |> Option.map (fun k -> sprintf "%.1f" k.TeacherCacheSeconds) |> Option.defaultValue "-") |> ignore
            t

        /// Where the tiny rows fall short of the bar, what the rows themselves say about why: the
        /// same step with AdamW instead of Muon (Newton-Schulz is work that model FLOPs leave out),
        /// and BF16's step speed-up against how much faster its matmul peak is (the work that is not
        /// a large matmul does not speed up with it; not profiled).
        let limits (d: ResultsDocument) =
            let plain = rows d |> List.filter (fun r -> isPlain r && isTiny r)
            let find preset optimizer precision = plain |> List.tryFind (fun r -> r.Preset = preset && r.Optimizer = optimizer && r.Precision = precision)
            let missed = plain |> List.filter (fun r -> r.Mfu < barOf r)
            if missed.IsEmpty then "Every tiny row meets the bar. "
            else
                // Each reason is stated only where every pair of rows shows it.
                let optimizers =
                    [ for p in plain |> List.map (fun r -> r.Preset) |> List.distinct do
                        match find p "muon" "fp32", find p "adamw" "fp32" with
                        | Some m, Some a -> yield m, a
                        | _ -> () ]
                let precisions =
                    [ for r in plain |> List.filter (fun r -> r.Precision = "bf16") do
                        match find r.Preset r.Optimizer "fp32" with
                        | Some f -> yield r, f
                        | None -> () ]
                let muon =
                    if optimizers.IsEmpty || optimizers |> List.exists (fun (m, a) -> a.Mfu <= m.Mfu) then ""
                    else
                        let each = optimizers |> List.map (fun (m, a) -> sprintf "%s %s with Muon, %s with AdamW" m.Preset (pct m.Mfu) (pct a.Mfu))
                        sprintf " Muon's Newton-Schulz iterations are optimizer work that the model FLOPs do not count (fp32 MFU %s)." (String.Join("; ", each))
                let bf16 =
                    if precisions.IsEmpty || precisions |> List.exists (fun (b, f) -> b.PeakGflops / f.PeakGflops <= f.StepMsMedian / b.StepMsMedian) then ""
                    else
                        let each = precisions |> List.map (fun (b, f) -> sprintf "%s %s: peak %.1fx, step %.2fx" b.Preset b.Optimizer (b.PeakGflops / f.PeakGflops) (f.StepMsMedian / b.StepMsMedian))
                        sprintf " BF16's matmul peak gains more over fp32's than its step does (%s), so in BF16 the step is bound by what is not a large matmul (norms, softmax, elementwise work, the casts to and from the fp32 master weights; an inference from these rows, not a profile)." (String.Join("; ", each))
                sprintf "The bar is met by %d of the %d tiny rows. What limits the others, from the rows themselves:%s%s At d_model 256 the matrices are small for two cores' peak, and the peak itself varies from run to run, which makes MFU noisy. "
                    (plain.Length - missed.Length) plain.Length muon bf16

        /// Is resident memory flat over the longest run? Its readings after the memory step, the
        /// largest of them, and the last step's, beside what the closing evaluation and checkpoint add.
        let memory (d: ResultsDocument) =
            match rows d |> List.filter (fun r -> isPlain r && not (isNull r.RssMiB) && r.RssMiB.Count = r.Steps) |> List.sortByDescending (fun r -> r.Steps) with
            | [] -> ""
            | r :: _ ->
                let after = r.RssMiB |> Seq.skip r.MemoryStep |> Array.ofSeq
                let top = if after.Length = 0 then r.RssMiBAtLastStep else Array.max after
                sprintf "Resident memory over the longest run (%s, %s, %s, %d steps): %.0f MiB at step %d, at most %.0f MiB after it, %.0f MiB at the last step (%+.1f%%); the closing evaluation and checkpoint bring it to %.0f MiB. "
                    r.Preset r.Optimizer r.Precision r.Steps r.RssMiBAtMemoryStep r.MemoryStep top r.RssMiBAtLastStep
                    (100.0 * (r.RssMiBAtLastStep / r.RssMiBAtMemoryStep - 1.0)) r.RssMiBAtEnd

        let blocks (d: ResultsDocument) =
            [ Grid(table d)
              Grid(bf16 d)
              Grid(distillation d)
              Prose(limits d + memory d + sprintf "Each row is one `bench-train` sweep cell in its own process, run one at a time on every core: the real training step (batching, forward, backward, clipping, Muon and AdamW) on random token pairs of %.0f + %.0f tokens, MFU counting the model's matrix products (not the optimizer's). The distillation rows are the Distiller's step (forward KL, alpha 0.5, reference targets) from a randomly initialised decoder-only teacher, its forward counted in the model FLOPs when it runs every step; with cached logits the step reads the teacher's fp32 logits over the whole vocabulary from disk instead. "
                        (num d.Parameters [ "input_tokens" ]) (num d.Parameters [ "target_tokens" ])
                    + stamp "dotnet fsi build.fsx bench-train --profile full" d) ]

    module Training =
        let private runs (d: ResultsDocument) (section: string) = items d.Results [ section ]
        let private byName (d: ResultsDocument) (section: string) (name: string) =
            runs d section |> List.find (fun r -> text r [ "name" ] = name)

        let pretraining (d: ResultsDocument) =
            let t = Table("run", "preset", "params", "objective", "optimizer", "precision", "steps", "tokens (source + target)",
                          "seconds", "tokens/s", "final loss", "best val loss")
            for r in runs d "pretraining" do
                t.Add(text r [ "name" ], text r [ "preset" ], sprintf "%.1fM" (num r [ "parameters" ] / 1e6), text r [ "objective" ], text r [ "optimizer" ],
                      text r [ "precision" ], num r [ "steps" ], sprintf "%.2fM + %.2fM" (num r [ "source_tokens" ] / 1e6) (num r [ "target_tokens" ] / 1e6),
                      sprintf "%.0f" (num r [ "seconds" ]), sprintf "%.0f" (num r [ "tokens_per_second" ]), sprintf "%.3f" (num r [ "final_loss" ]),
                      sprintf "%.3f" (num r [ "best_val_loss" ])) |> ignore
            t

        let finetuning (d: ResultsDocument) =
            let t = Table("run", "task", "steps", "final loss", "best val loss", "examples", "ROUGE-1", "ROUGE-2", "ROUGE-L", "SQuAD EM", "SQuAD F1")
            for r, e in List.zip (runs d "finetuning") (runs d "evaluation") do
                t.Add(text r [ "name" ], text e [ "task" ], num r [ "steps" ], sprintf "%.3f" (num r [ "final_loss" ]), sprintf "%.3f" (num r [ "best_val_loss" ]),
                      num e [ "examples" ], sprintf "%.1f" (num e [ "rouge1" ]), sprintf "%.1f" (num e [ "rouge2" ]), sprintf "%.1f" (num e [ "rouge_l" ]),
                      sprintf "%.1f" (num e [ "squad_exact" ]), sprintf "%.1f" (num e [ "squad_f1" ])) |> ignore
            t

        /// The comparisons the study exists for, computed from its runs.
        let findings (d: ResultsDocument) =
            let p name = byName d "pretraining" name
            let encdec, deconly, adamw, bf16 = p "pretrain-encdec-muon", p "pretrain-deconly-muon", p "pretrain-encdec-adamw", p "pretrain-encdec-bf16"
            let tokens r = num r [ "source_tokens" ] + num r [ "target_tokens" ]
            // The causal-LM pairs take each chunk's first token as their source, so the decoder-only's
            // source tokens count the chunks both objectives cut from the same token stream.
            let chunks = num deconly [ "source_tokens" ]
            sprintf "Equal training tokens: both models read the same %s chunks of %.0f document tokens (%.2fM); the encoder-decoder's count, %.2fM source + target, adds the sentinels that mark its spans in both. The encoder-decoder took %s of the decoder-only's pretraining time (the paper: %s). Muon against AdamW on the encoder-decoder: final loss %.3f against %.3f. BF16 against fp32: final loss %.4f against %.4f (a gap of %.4f); its speed-up is the training benchmark's to measure (these runs are sweep cells that share the cores with one another)."
                (chunks.ToString("N0")) (tokens deconly / chunks) (tokens deconly / 1e6) (tokens encdec / 1e6)
                (pct (num encdec [ "seconds" ] / num deconly [ "seconds" ])) (pct Paper.PretrainingHours.Share)
                (num encdec [ "final_loss" ]) (num adamw [ "final_loss" ])
                (num bf16 [ "final_loss" ]) (num encdec [ "final_loss" ])
                (abs (num bf16 [ "final_loss" ] - num encdec [ "final_loss" ]))

        /// A fine-tuned model that answers every sampled example with the same text, with exact match
        /// equal to F1, has learned one constant answer: its scores say how often that answer is right,
        /// not how well the architecture reads.
        let collapsed (d: ResultsDocument) =
            [ for e in runs d "evaluation" do
                let outputs = [ for s in items e [ "samples" ] -> text s [ "output" ] ] |> List.distinct
                match outputs with
                | [ only ] when num e [ "squad_exact" ] = num e [ "squad_f1" ] ->
                    yield sprintf "%s answers every sampled question \"%s\" and its exact match equals its F1 (%.1f)" (text e [ "run" ]) only (num e [ "squad_exact" ])
                | _ -> () ]
            |> function
                | [] -> ""
                | lines -> " " + String.Join("; ", lines) + ": at this budget fine-tuning found one constant answer, so these QA scores cannot rank the architectures."

        let blocks (d: ResultsDocument) =
            [ Grid(pretraining d); Grid(finetuning d)
              Prose(findings d + collapsed d + " " + stamp "dotnet fsi build.fsx training --profile full" d) ]

    module SplitRatio =
        let private tasks (d: ResultsDocument) = [ for t in items d.Parameters [ "sizes"; "tasks" ] -> t.GetString() ]
        let private cell (x: JsonElement) =
            if num x [ "n" ] = 0.0 then "-" elif num x [ "n" ] = 1.0 then sprintf "%.1f" (num x [ "mean" ])
            else sprintf "%.1f ± %.1f" (num x [ "mean" ]) (num x [ "std" ])

        /// Ours: ROUGE-L (0-100) per local task, mean ± sample std over seeds, with the pretraining
        /// time and speed; the paper's Seq2Seq ROUGE-L (as 0-100) for the task each stands in for.
        let table1 (d: ResultsDocument) =
            let ts = tasks d
            let t = Table([ "model"; "params"; "seeds" ] @ [ for x in ts -> $"{x} ROUGE-L" ] @ [ "average"; "SQuAD F1 / EM"; "pretrain s"; "tokens/s" ] |> Array.ofList)
            for r in items d.Results [ "table1" ] do
                let byTask = items r [ "tasks" ]
                let perTask = [| for x in ts -> box (cell (at (byTask |> List.find (fun b -> text b [ "task" ] = x)) [ "rouge_l" ])) |]
                t.Add(Array.concat [ [| box (text r [ "preset" ]); box (sprintf "%.1fM" (num r [ "parameters" ] / 1e6)); box (num r [ "seeds" ]) |]
                                     perTask
                                     [| box (cell (at r [ "average" ])); box (cell (at r [ "squad_f1" ]) + " / " + cell (at r [ "squad_exact" ]))
                                        box (cell (at r [ "pretrain_seconds" ])); box (cell (at r [ "tokens_per_second" ])) |] ]) |> ignore
            t

        let paperTable1 (d: ResultsDocument) =
            let ts = tasks d
            let t = Table([ "paper (330M, Seq2Seq)" ] @ [ for x in ts -> $"{x} stands for: ROUGE-L" ] @ [ "average" ] |> Array.ofList)
            let rows = [ yield Paper.Table1.Row("decoder-only seq2seq", "decoder-only")
                         for split in [ "1/3-2/3"; "1/2-1/2"; "2/3-1/3" ] do yield Paper.Table1.Row("encoder-decoder seq2seq", split) ]
            for r in rows do
                t.Add(Array.concat [ [| box r.Model |]; [| for x in ts -> box (sprintf "%.0f" (100.0 * r.RougeL x)) |]; [| box (sprintf "%.0f" (100.0 * r.AverageRl)) |] ]) |> ignore
            t

        let figure2 (d: ResultsDocument) =
            let t = Table("rung", "model", "params", sprintf "ROUGE-L on %s" (text d.Parameters [ "sizes"; "ladder_task" ]))
            for p in items d.Results [ "figure2" ] do
                t.Add(text p [ "rung" ], text p [ "preset" ], sprintf "%.2fM" (num p [ "parameters" ] / 1e6), sprintf "%.1f" (num p [ "rouge_l" ])) |> ignore
            t

        /// A difference of means and whether it is larger than the seeds' spread: "holds" when
        /// the sign is the paper's and the gap exceeds the larger std, "does not hold" when the
        /// sign is the other and the gap exceeds it, "cannot tell" inside the spread.
        let private verdict (gap: float) (spread: float) (paperSign: float) =
            if not (Double.IsFinite gap) then "cannot be told (no scores)"
            elif abs gap <= spread then "cannot be told at our scale (the gap is within one standard deviation over seeds)"
            elif sign gap = int (sign paperSign) then "holds here"
            else "does not hold here"

        /// Which of the paper's split-ratio claims hold at our scale, computed from the results.
        let claims (d: ResultsDocument) =
            let rows = items d.Results [ "table1" ]
            let avg (preset: string) = at (rows |> List.find (fun r -> text r [ "preset" ] = preset)) [ "average" ]
            let mean x = num x [ "mean" ]
            let std x = if num x [ "n" ] > 1.0 then num x [ "std" ] else 0.0
            let best = rows |> List.maxBy (fun r -> num r [ "average"; "mean" ])
            let paperRow preset = let model, kind = paperModel preset in Paper.Table1.Row(kind + " seq2seq", model)
            let e, o = avg "tiny-encdec-2_3", avg "tiny-deconly"
            let gap = mean e - mean o
            let paperGap = 100.0 * ((paperRow "tiny-encdec-2_3").AverageRl - (paperRow "tiny-deconly").AverageRl)
            let points = items d.Results [ "figure2" ]
            let rungs = points |> List.map (fun p -> text p [ "rung" ]) |> List.distinct
            let rungGap (rung: string) =
                let value preset = points |> List.tryFind (fun p -> text p [ "rung" ] = rung && text p [ "preset" ] = preset) |> Option.map (fun p -> num p [ "rouge_l" ])
                match value "tiny-encdec-2_3", value "tiny-deconly" with
                | Some a, Some b -> sprintf "%s %+.1f" rung (a - b)
                | _ -> $"{rung} incomplete"
            let ladderGaps = [ for r in rungs -> rungGap r ]
            let ladderWins =
                rungs |> List.filter (fun rung ->
                    let v preset = points |> List.tryPick (fun p -> if text p [ "rung" ] = rung && text p [ "preset" ] = preset then Some(num p [ "rouge_l" ]) else None)
                    match v "tiny-encdec-2_3", v "tiny-deconly" with Some a, Some b -> a > b | _ -> false)
            [ sprintf "The paper's claims at our scale (%s parameters, %.2fM training tokens per model, %d seed(s)):"
                  (sprintf "%.1fM" (num (List.head rows) [ "parameters" ] / 1e6)) (num (List.head rows) [ "training_tokens"; "mean" ] / 1e6) (int (num (List.head rows) [ "seeds" ]))
              sprintf "(1) The 2/3-1/3 split is the best Seq2Seq model (Table 1, average ROUGE-L %.0f against %.0f for the decoder-only): our best by average ROUGE-L is %s (%.1f); the 2/3-1/3 split against the decoder-only is %+.1f ± %.1f points (the paper: %+.0f), so the claim %s."
                  (100.0 * (paperRow "tiny-encdec-2_3").AverageRl) (100.0 * (paperRow "tiny-deconly").AverageRl) (text best [ "preset" ]) (num best [ "average"; "mean" ])
                  gap (max (std e) (std o)) paperGap (verdict gap (max (std e) (std o)) paperGap)
              (let splits = [ for p in [ "tiny-encdec-1_3"; "tiny-encdec-1_2"; "tiny-encdec-2_3" ] -> p, mean (avg p) ]
               let ordered = splits |> List.pairwise |> List.forall (fun ((_, a), (_, b)) -> a < b)
               sprintf "(2) More encoder is better (1/3-2/3 < 1/2-1/2 < 2/3-1/3 in the paper's averages): ours %s, %s."
                   (String.Join(", ", [ for p, v in splits -> sprintf "%s %.1f" p v ])) (if ordered then "the paper's order" else "not the paper's order"))
              sprintf "(3) The encoder-decoder pretrains faster at equal tokens (the paper: %s of the decoder-only's time): ours %s."
                  (pct Paper.PretrainingHours.Share) (pct (num d.Results [ "encdec_time_share" ]))
              sprintf "(4) The advantage persists across sizes (Figure 2; the paper: +7%% at 330M, +6%% at 1B): 2/3-1/3 minus decoder-only ROUGE-L per rung: %s; the encoder-decoder leads at %d of %d rungs (one seed each)."
                  (String.Join(", ", ladderGaps)) ladderWins.Length rungs.Length
              "What our scale cannot tell: anything about 330M-1B models or 100B tokens of pretraining; the Ragas-GPT half of Table 1 (no GPT-4 judge offline: the `IJudge` runs against any OpenAI-compatible endpoint a user configures); and the real SQuAD 2.0, XSum, CodeXGLUE and IELTS sets, for which the local tasks stand in." ]
            |> String.concat " "

        /// Per task, the fine-tuned models (cells of Table 1's sweep) that answer all their sampled
        /// validation examples with one text: a model that has learned one constant answer scores
        /// how often that answer is right, so its ROUGE-L on that task cannot rank the
        /// architectures. Read from the committed cells, which keep three samples per task.
        let collapsed (d: ResultsDocument) =
            let rows = sweepCells (text d.Parameters [ "table1_sweep" ])
            [ for task in tasks d do
                let perModel =
                    [ for _, r, _ in rows do
                        for t in r["tasks"].AsArray() do
                            if t["task"].GetValue<string>() = task then yield constantAnswer t ]
                let constant = perModel |> List.choose id
                if not constant.IsEmpty then
                    yield sprintf "on %s, %d of %d fine-tuned models give one answer to every sampled example: %s" task constant.Length perModel.Length (answerCounts constant) ]
            |> function
                | [] -> ""
                | lines -> " Collapsed fine-tuning: " + String.Join("; ", lines) + ". Such a model has learned one constant answer, so its score on that task says how often that answer is right, not how well its architecture reads."

        let blocks (d: ResultsDocument) =
            [ Grid(table1 d); Grid(paperTable1 d); Grid(figure2 d); Prose(claims d + collapsed d)
              Prose(sprintf "The 2/3-1/3 encoder-decoder's pretraining took %s of the decoder-only's time on the same tokens (the paper: %s). Every cell ran in its own process through `%s`. "
                        (pct (num d.Results [ "encdec_time_share" ])) (pct Paper.PretrainingHours.Share) (text d.Parameters [ "runner" ])
                    + stamp "dotnet fsi build.fsx split-ratio --profile full" d) ]

    module KdAblation =
        let private cell (x: JsonElement) =
            if num x [ "n" ] = 0.0 then "-" elif num x [ "n" ] = 1.0 then sprintf "%.1f" (num x [ "mean" ])
            else sprintf "%.1f ± %.1f" (num x [ "mean" ]) (num x [ "std" ])

        let teachers (d: ResultsDocument) =
            let t = Table("teacher on", "params", "ROUGE-L", "SQuAD F1", "SQuAD EM")
            for r in items d.Results [ "teachers" ] do
                t.Add(text r [ "task" ], sprintf "%.1fM" (num r [ "parameters" ] / 1e6), sprintf "%.1f" (num r [ "rouge_l" ]),
                      sprintf "%.1f" (num r [ "squad_f1" ]), sprintf "%.1f" (num r [ "squad_exact" ])) |> ignore
            t

        /// Figure 5's points: ROUGE-L and SQuAD F1 (mean ± std over seeds) per student size, alpha,
        /// divergence and target source; alpha 0 is plain fine-tuning.
        let figure5 (d: ResultsDocument) =
            let t = Table("student", "params", "alpha", "divergence", "targets", "ROUGE-L", "SQuAD F1")
            for r in items d.Results [ "figure5" ] do
                t.Add(text r [ "size" ], sprintf "%.1fM" (num r [ "student_parameters" ] / 1e6), sprintf "%.2f" (num r [ "alpha" ]), text r [ "divergence" ],
                      text r [ "targets" ], cell (at r [ "rouge_l" ]), cell (at r [ "squad_f1" ])) |> ignore
            t

        let table1 (d: ResultsDocument) =
            let t = Table("student (KD)", "task", "params", "ROUGE-L", "SQuAD F1 / EM")
            for r in items d.Results [ "table1" ] do
                t.Add(text r [ "preset" ], text r [ "task" ], sprintf "%.1fM" (num r [ "parameters" ] / 1e6), sprintf "%.1f" (num r [ "rouge_l" ]),
                      sprintf "%.1f / %.1f" (num r [ "squad_f1" ]) (num r [ "squad_exact" ])) |> ignore
            t

        /// The paper's KD findings (supplement 5.1, Table 1) against ours, computed from the
        /// results; a gap counts only where it exceeds the larger standard deviation over seeds.
        let findings (d: ResultsDocument) =
            let points = items d.Results [ "figure5" ]
            let tiny = points |> List.filter (fun p -> text p [ "size" ] = "tiny")
            let mean p = num p [ "rouge_l"; "mean" ]
            let std p = if num p [ "rouge_l"; "n" ] > 1.0 then num p [ "rouge_l"; "std" ] else 0.0
            let kdPoints = tiny |> List.filter (fun p -> num p [ "alpha" ] > 0.0)
            let parts =
                [ match tiny |> List.tryFind (fun p -> num p [ "alpha" ] = 0.0), kdPoints with
                  | Some baseline, (_ :: _) ->
                      let best = kdPoints |> List.maxBy mean
                      let beats = kdPoints |> List.filter (fun p -> mean p - mean baseline > max (std p) (std baseline))
                      let loses = kdPoints |> List.filter (fun p -> mean baseline - mean p > max (std p) (std baseline))
                      yield sprintf "(1) On SQuAD the paper finds plain fine-tuning (alpha 0) strong, results improving as alpha goes to 0. On qa-local, alpha 0 scores %.1f ± %.1f ROUGE-L; the best KD point (alpha %.2f, %s, %s targets) %.1f ± %.1f; of %d KD points, %d are above alpha 0 by more than the spread over seeds and %d below it, so the finding %s."
                                (mean baseline) (std baseline) (num best [ "alpha" ]) (text best [ "divergence" ]) (text best [ "targets" ]) (mean best) (std best)
                                kdPoints.Length beats.Length loses.Length
                                (if beats.IsEmpty && not loses.IsEmpty then "holds here" elif not beats.IsEmpty && loses.IsEmpty then "does not hold here" else "cannot be told at our scale")
                  | _ -> ()
                  // Matched pairs: points equal in alpha and in the other dimension, differing in `dim`.
                  let pairsBy (dim: string) (other: string) (a: string) (b: string) =
                      [ for p in kdPoints do
                          if text p [ dim ] = a then
                              match kdPoints |> List.tryFind (fun q -> text q [ dim ] = b && num q [ "alpha" ] = num p [ "alpha" ] && text q [ other ] = text p [ other ]) with
                              | Some q -> yield mean p - mean q, max (std p) (std q)
                              | None -> () ]
                  let summarise (gaps: (float * float) list) =
                      let within = gaps |> List.filter (fun (g, sd) -> abs g <= sd) |> List.length
                      let average = if gaps.IsEmpty then nan else gaps |> List.averageBy fst
                      within, gaps.Length, average
                  let fwdRev = pairsBy "divergence" "targets" "forward_kl" "reverse_kl"
                  if not fwdRev.IsEmpty then
                      let within, n, average = summarise fwdRev
                      yield sprintf "(2) The paper finds forward and reverse KL comparable. Here forward minus reverse KL averages %+.1f ROUGE-L over %d matched (alpha, targets) pairs, %d of them within the spread over seeds: %s."
                                average n within (if within = n then "comparable, as in the paper" else "not comparable at every point")
                  let students = pairsBy "targets" "divergence" "student" "teacher"
                  if not students.IsEmpty then
                      let within, n, average = summarise students
                      yield sprintf "(3) The paper finds the student's own generations (on-policy) competitive with the teacher's. Here student minus teacher targets averages %+.1f ROUGE-L over %d matched (alpha, divergence) pairs, %d within the spread, %d below it."
                                average n within (students |> List.filter (fun (g, sd) -> g < -sd) |> List.length)
                  let teacherQa = items d.Results [ "teachers" ] |> List.tryHead
                  let bySize size = points |> List.filter (fun p -> text p [ "size" ] = size && num p [ "alpha" ] > 0.0) |> function [] -> None | ps -> Some(ps |> List.map mean |> List.max, num ps.Head [ "student_parameters" ])
                  match bySize "small", bySize "tiny", teacherQa with
                  | Some(small, sp), Some(tinyBest, tp), Some t ->
                      let ordered = small < tinyBest && tinyBest < num t [ "rouge_l" ]
                      yield sprintf "(4) The paper's scores rise with size (330M, 500M, Phi-3.5). Best distilled ROUGE-L here: %.1fM student %.1f, %.1fM student %.1f, the %.1fM teacher %.1f: %s."
                                (sp / 1e6) small (tp / 1e6) tinyBest (num t [ "parameters" ] / 1e6) (num t [ "rouge_l" ]) (if ordered then "rising with size" else "not rising with size")
                  | _ -> () ]
            String.Join(" ", parts)

        /// Constant answers in Figure 5's cells (read from the committed cells, three samples each):
        /// a teacher or student that gives one text to every sampled question has learned one answer.
        let collapsed (d: ResultsDocument) =
            let rows = sweepCells (text d.Parameters [ "figure5_sweep" ])
            let students = [ for _, r, _ in rows -> constantAnswer r["student"] ]
            let constant = students |> List.choose id
            [ if not constant.IsEmpty then
                  yield sprintf "%d of %d Figure 5 students give one answer to every sampled question: %s" constant.Length students.Length (answerCounts constant)
              match rows with
              | (_, r, _) :: _ ->
                  match constantAnswer r["teacher"] with
                  | Some a -> yield sprintf "the teacher answers every sampled question with %s" (shown a)
                  | None -> ()
              | [] -> () ]
            |> function
                | [] -> ""
                | lines -> " Collapsed fine-tuning: " + String.Join("; ", lines) + "; where the alpha-0 student and the KD students all give one answer, Figure 5's points say how often that answer is right, not what KD does."

        /// Table 1's KD rows against the same models' Seq2Seq rows (the split-ratio study, mean over
        /// its seeds): the paper's KD raises the encoder-decoders' average ROUGE-L by about one point.
        let againstSeq2Seq (d: ResultsDocument) (splitRatio: ResultsDocument option) =
            match splitRatio with
            | None -> ""
            | Some sr ->
                let kd = items d.Results [ "table1" ]
                let lines =
                    [ for r in items sr.Results [ "table1" ] do
                        let preset = text r [ "preset" ]
                        let mine = kd |> List.filter (fun k -> text k [ "preset" ] = preset)
                        if not mine.IsEmpty then
                            let kdAverage = mine |> List.averageBy (fun k -> num k [ "rouge_l" ])
                            let tasks = mine |> List.map (fun k -> text k [ "task" ])
                            let seq = items r [ "tasks" ] |> List.filter (fun t -> List.contains (text t [ "task" ]) tasks) |> List.averageBy (fun t -> num t [ "rouge_l"; "mean" ])
                            yield preset, kdAverage - seq ]
                if lines.IsEmpty then "" else
                let paperGain (preset: string) =
                    let model, kind = paperModel preset
                    100.0 * (Paper.Table1.Row(kind + " kd", model).AverageRl - Paper.Table1.Row(kind + " seq2seq", model).AverageRl)
                sprintf "(5) Table 1: KD minus Seq2Seq average ROUGE-L, ours over the same tasks (one KD seed against the Seq2Seq mean over seeds) and the paper's: %s."
                    (String.Join(", ", [ for p, g in lines -> sprintf "%s %+.1f (paper %+.0f)" p g (paperGain p) ]))

        let blocks (d: ResultsDocument) =
            [ Grid(teachers d); Grid(figure5 d); Grid(table1 d); Prose(findings d + " " + againstSeq2Seq d (Results.tryRead "split-ratio") + collapsed d)
              Prose(sprintf "The teacher has %.1fx the students' parameters. Every cell ran in its own process through `%s`. "
                        (num d.Parameters [ "teacher_to_student_parameters" ]) (text d.Parameters [ "runner" ])
                    + stamp "dotnet fsi build.fsx kd-ablation --profile full" d) ]

    module Peer =
        let result (d: ResultsDocument) = typed<PeerResult> (at d.Results [ "peer" ])

        let bar (d: ResultsDocument) =
            let p = result d
            sprintf "The bar (our fp32 decoder-only decode at least %.1fx llama.cpp's f32): %.2fx, %s. %d threads on a %d-core machine (1-minute load average %s at the end); means over %d examples after %d warm-up."
                p.Bar p.BarDecodeRatio (if p.BarMet then "met" else "NOT met") p.Threads d.Run.Machine.Cores
                (text d.Results [ "load_average" ]) p.Examples p.Warmup

        let blocks (d: ResultsDocument) =
            let p = result d
            [ Grid(PeerBench.RowsTable p); Grid(PeerBench.RatiosTable p); Prose(bar d + " " + stamp "dotnet fsi build.fsx peer --profile full" d) ]
