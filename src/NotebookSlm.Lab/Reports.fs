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
